from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Credit notes (issue 13): customer service may view and issue them; managers have everything."""

    dependencies = [
        ("core", "0006_staff_groups_carriers"),
        ("invoicing", "0006_credit_notes"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
