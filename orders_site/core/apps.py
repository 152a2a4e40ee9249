from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "orders_site.core"
    label = "core"
    verbose_name = "Core"
