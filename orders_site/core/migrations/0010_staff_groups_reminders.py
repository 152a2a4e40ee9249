from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Payment reminders (issue 14): customer service sees them and puts a disputed invoice's
    reminders on hold; managers set the levels."""

    dependencies = [
        ("core", "0009_staff_groups_returns"),
        ("invoicing", "0011_payment_reminders"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
