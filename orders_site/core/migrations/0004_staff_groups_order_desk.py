from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """The order desk: customer service adds orders and keeps drafts and quotes (issue 12)."""

    dependencies = [
        ("core", "0003_staff_groups_admin"),
        ("orders", "0008_order_desk_quotes"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
