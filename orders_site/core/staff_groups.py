"""Least-privilege staff groups. Applied by data migrations; add one that re-applies them after adding
permissions here (core/migrations/0003_staff_groups_admin.py is an example). This list is the one
source of truth: re-applying sets each group to exactly it, so a permission granted only by some
migration's `group.permissions.add(...)` is taken away again by the next re-apply.

Warehouse: sees orders and shipments, presses the fulfilment buttons; no cancelling, no money.
Customer service: enters phone, e-mail and counter orders, drafts and quotes (the order desk),
resolves held orders (re-check, release), cancels, fixes addresses, records payments, resends
e-mails, follows up low feedback. Managers: everything in the business apps.
"""

from django.contrib.auth.management import create_permissions

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
        # Purchasing (inventory/migrations/0004 grants these too; listed here so that re-applying the
        # groups, which sets each group's permissions to exactly this list, keeps them).
        "inventory.view_supplier",
        "inventory.view_purchaseorder",
        "inventory.view_purchaseorderline",
        "inventory.view_purchaseorderevent",
        "inventory.receive_purchaseorder",
        "orders.view_returnrequest",
        "orders.view_returnline",
        "orders.receive_returns",
    ],
    "Customer service": [
        "orders.view_order",
        "orders.change_order",
        "orders.view_orderline",
        "orders.view_orderevent",
        "orders.view_ordercheck",
        "orders.view_shipment",
        "orders.view_shipmentline",
        "orders.view_deliverymethod",
        "orders.view_voucher",
        "orders.view_voucherredemption",
        "orders.view_customer",
        "orders.add_customer",
        "orders.change_customer",
        "orders.view_address",
        "orders.add_address",
        "orders.change_address",
        "orders.verify_order",
        "orders.cancel_order",
        # The order desk: enter phone, e-mail and counter orders, keep drafts, send quotes.
        "orders.add_order",
        "orders.view_quote",
        "orders.add_quote",
        "orders.change_quote",
        "orders.view_quoteline",
        "orders.view_emailnotification",
        "orders.change_emailnotification",  # only unlocks "send again"; the outbox itself is read-only
        "invoicing.view_invoice",
        "invoicing.view_invoiceline",
        "invoicing.view_payment",
        "invoicing.record_payment",
        "invoicing.view_amountowedback",  # the "Owed back to customers" queue (order edits)
        "invoicing.view_creditnote",
        "invoicing.view_creditnoteline",
        "invoicing.issue_credit_note",
        "invoicing.view_reminderlevel",
        "invoicing.view_invoicereminder",
        "invoicing.hold_reminders",  # a disputed invoice: reminders on hold until resolved
        "invoicing.view_bankstatement",  # import statements (with record_payment) and match credits
        "invoicing.view_bankstatemententry",
        "orders.view_returnrequest",
        "orders.view_returnline",
        "orders.handle_returns",
        "invoicing.view_refund",
        "invoicing.issue_refund",
        "invoicing.view_storecreditaccount",
        "invoicing.view_storecreditentry",
        "invoicing.issue_store_credit",
        "feedback.view_feedback",
        "feedback.change_feedback",
        "feedback.view_feedbackrequest",
        "feedback.view_productrating",
        "inventory.view_product",
        "inventory.view_stocklevel",
    ],
}
MANAGERS = "Managers"
MANAGER_APPS = ["orders", "inventory", "invoicing", "feedback", "reports", "api", "webhooks"]


def staff_groups_migrate(apps, schema_editor) -> None:
    """The body of every migration that (re-)applies the groups (RunPython): create the
    permissions of the models migrated so far (normally made after all migrations, but the groups
    need them now), then staff_groups_apply."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    staff_groups_apply(apps)


def staff_groups_apply(apps) -> list[str]:
    """Create or update the three groups. `apps` is a migration's app registry (or django.apps.apps).

    Returns the names in GROUP_PERMISSIONS that have no permission yet. An older migration runs
    with today's list, which may name permissions of models a later migration creates; those are
    skipped there and granted by the migration that re-applies the groups after them. A test
    checks that, once every migration has run, nothing is missing.
    """
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    missing = []

    def permissions(names):
        found = []
        for name in names:
            app_label, codename = name.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is None:
                missing.append(name)
            else:
                found.append(permission)
        return found

    for group_name, names in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.set(permissions(names))
    managers, _ = Group.objects.get_or_create(name=MANAGERS)
    managers.permissions.set(Permission.objects.filter(content_type__app_label__in=MANAGER_APPS))
    return missing
