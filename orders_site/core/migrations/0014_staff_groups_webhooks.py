from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Webhook subscriptions and their delivery logs (issue 16): managers only."""

    dependencies = [
        ("core", "0013_staff_groups_api"),
        ("webhooks", "0001_initial"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
