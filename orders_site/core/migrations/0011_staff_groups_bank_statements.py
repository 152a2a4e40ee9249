from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Bank statements (issue 14): customer service, who records payments, imports statements and
    matches the credits left over; managers have everything."""

    dependencies = [
        ("core", "0010_staff_groups_reminders"),
        ("invoicing", "0012_bank_statements"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
