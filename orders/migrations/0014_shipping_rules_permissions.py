from django.contrib.auth.management import create_permissions
from django.db import migrations

from orders_site.core.staff_groups import staff_groups_apply


def apply(apps, schema_editor):
    # Managers get every orders permission, including those of the new shipping zones and weight bands.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_groups_apply(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0013_shipping_rules"),
        ("core", "0005_staff_groups_owed_back"),
    ]

    operations = [migrations.RunPython(apply, migrations.RunPython.noop)]
