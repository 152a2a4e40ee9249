from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Carriers (issue 11): managers get the new Carrier and TrackingEvent permissions (everything in orders)."""

    dependencies = [
        ("core", "0005_staff_groups_owed_back"),
        ("orders", "0017_carriers_tracking_returns"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
