from django.db import migrations

from orders_site.core.staff_groups import staff_groups_migrate


class Migration(migrations.Migration):
    """Returns (issue 13): customer service authorises, refuses and refunds them; the warehouse
    receives the goods; managers have everything."""

    dependencies = [
        ("core", "0008_staff_groups_refunds"),
        ("orders", "0022_return_requests"),
    ]

    operations = [migrations.RunPython(staff_groups_migrate, migrations.RunPython.noop)]
