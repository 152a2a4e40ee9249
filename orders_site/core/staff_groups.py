"""Least-privilege staff groups. Applied by a data migration; re-run it after adding permissions."""

GROUP_PERMISSIONS = {
    "Warehouse": [
        "orders.view_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_shipment",
        "orders.change_shipment",
        "orders.view_shipmentline",
        "orders.fulfil_order",
        "inventory.view_product",
        "inventory.view_warehouse",
        "inventory.view_binlocation",
        "inventory.view_stocklevel",
        "inventory.change_stocklevel",
        "inventory.view_stockmovement",
    ],
    "Customer service": [
        "orders.view_order",
        "orders.change_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_ordercheck",
        "orders.view_shipment",
        "orders.view_customer",
        "orders.add_customer",
        "orders.change_customer",
        "orders.view_address",
        "orders.add_address",
        "orders.change_address",
        "orders.verify_order",
        "orders.cancel_order",
        "orders.view_emailnotification",
        "invoicing.view_invoice",
        "invoicing.view_payment",
        "invoicing.record_payment",
        "feedback.view_feedback",
        "feedback.change_feedback",
        "feedback.view_feedbackrequest",
        "inventory.view_product",
        "inventory.view_stocklevel",
    ],
}
MANAGER_APPS = ["orders", "inventory", "invoicing", "feedback"]


def staff_groups_apply(apps) -> None:
    """Create or update the three groups. `apps` is a migration's app registry (or django.apps.apps)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    for group_name, names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(permissions(names))
    managers, _ = Group.objects.get_or_create(name="Managers")
    managers.permissions.set(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))
