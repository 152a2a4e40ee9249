from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """The staff console's needs: inlines and pages customer service reads (shipment and invoice lines,
    product ratings, delivery methods, vouchers) and resending e-mails from the outbox."""

    dependencies = [
        ("core", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
