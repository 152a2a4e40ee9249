from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Customer service sees what edited orders owe back to customers (issue 12)."""

    dependencies = [
        ("core", "0004_staff_groups_order_desk"),
        ("invoicing", "0005_amounts_owed_back"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
