from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders_site.core.staff_groups import staff_groups_apply


def apply(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_groups_apply(apps)


class Migration(migrations.Migration):
    """Carriers (issue 11): managers get the new Carrier and TrackingEvent permissions (everything in orders)."""

    dependencies = [
        ("core", "0005_staff_groups_owed_back"),
        ("orders", "0017_carriers_tracking_returns"),
    ]

    operations = [migrations.RunPython(apply, migrations.RunPython.noop)]
