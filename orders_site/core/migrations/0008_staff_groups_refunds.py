from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Refunds and store credit (issue 13): customer service may view and issue them; managers have everything."""

    dependencies = [
        ("core", "0007_staff_groups_credit_notes"),
        ("invoicing", "0007_refunds_store_credit"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
