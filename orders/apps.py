from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders"

    def ready(self):
        # Registers the bank-details system check; importing it at module level would load
        # settings-reading code before the app registry is ready.
        from . import checks  # noqa: F401
