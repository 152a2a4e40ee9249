"""Append-only stock ledger in the database (PostgreSQL), and purchasing permissions for staff groups."""

from django.db import migrations

# Movements may never change or disappear. The one exception is Django nulling `actor_id` when the
# staff user who made a movement is deleted (on_delete=SET_NULL). TRUNCATE (test flushes) is not
# affected.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION inventory_stockmovement_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (NEW.id, NEW.stock_level_id, NEW.kind, NEW.on_hand_delta, NEW.allocated_delta, NEW.reason,
            NEW.reference, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.stock_level_id, OLD.kind, OLD.on_hand_delta, OLD.allocated_delta, OLD.reason,
            OLD.reference, OLD.created_at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Stock movements are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS inventory_stockmovement_append_only ON inventory_stockmovement;
CREATE TRIGGER inventory_stockmovement_append_only
    BEFORE UPDATE OR DELETE ON inventory_stockmovement
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmovement_append_only();
"""
DROP_APPEND_ONLY = """
DROP TRIGGER IF EXISTS inventory_stockmovement_append_only ON inventory_stockmovement;
DROP FUNCTION IF EXISTS inventory_stockmovement_append_only();
"""

WAREHOUSE_PERMISSIONS = [
    "view_supplier",
    "view_purchaseorder",
    "view_purchaseorderline",
    "view_purchaseorderevent",
    "receive_purchaseorder",
]


def append_only(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY, params=None)


def append_only_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_APPEND_ONLY, params=None)


def staff_permissions(apps, schema_editor):
    """Managers get every inventory permission (as the foundation's staff groups do), the warehouse
    receives purchase orders. Permissions of new models only exist after post_migrate, so make them."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("inventory")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    inventory = Permission.objects.filter(content_type__app_label="inventory")
    managers = Group.objects.filter(name="Managers").first()
    if managers is not None:
        managers.permissions.add(*inventory)
    warehouse = Group.objects.filter(name="Warehouse").first()
    if warehouse is not None:
        warehouse.permissions.add(*inventory.filter(codename__in=WAREHOUSE_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_purchasing_ledger_hardening"),
        ("core", "0002_staff_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(append_only, append_only_drop),
        migrations.RunPython(staff_permissions, migrations.RunPython.noop),
    ]
