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
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0001_initial"),
        ("inventory", "0002_initial"),
        ("invoicing", "0001_initial"),
        ("feedback", "0002_initial"),
    ]

    operations = [migrations.RunPython(apply, migrations.RunPython.noop)]
