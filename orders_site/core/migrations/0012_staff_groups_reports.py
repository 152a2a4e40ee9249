from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """The manager's dashboard and exports (issue 15): managers see the dashboard, export lists and
    their export jobs; no other group does."""

    dependencies = [
        ("core", "0011_staff_groups_bank_statements"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
