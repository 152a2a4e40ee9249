from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """API keys (issue 16): managers make and revoke them; no other group sees them."""

    dependencies = [
        ("core", "0012_staff_groups_reports"),
        ("api", "0001_initial"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
