"""The three staff groups can do their job in the console, and no more."""

import pytest
from django.apps import apps
from django.urls import reverse

from orders_site.core.staff_groups import GROUP_PERMISSIONS, staff_groups_apply

pytestmark = pytest.mark.django_db


def test_every_permission_the_groups_name_exists_after_all_migrations():
    assert staff_groups_apply(apps) == []


def test_migrations_gave_the_groups_their_permissions(staff_users):
    for group, names in GROUP_PERMISSIONS.items():
        user = staff_users[group]
        assert all(user.has_perm(name) for name in names), group


PAGES = {
    "orders": "admin:orders_order_changelist",
    "shipments": "admin:orders_shipment_changelist",
    "timeline": "admin:orders_orderevent_changelist",
    "invoices": "admin:invoicing_invoice_changelist",
    "payments": "admin:invoicing_payment_changelist",
    "customers": "admin:orders_customer_changelist",
    "addresses": "admin:orders_address_changelist",
    "outbox": "admin:orders_emailnotification_changelist",
    "feedback": "admin:feedback_feedback_changelist",
    "risk rules": "admin:orders_riskrules_changelist",
    "delivery methods": "admin:orders_deliverymethod_changelist",
    "sequences": "admin:core_sequence_changelist",
}
CAN_OPEN = {
    "Warehouse": {"orders", "shipments", "timeline"},
    "Customer service": {
        "orders",
        "shipments",
        "timeline",
        "invoices",
        "payments",
        "customers",
        "addresses",
        "outbox",
        "feedback",
        "delivery methods",
    },
    "Managers": set(PAGES) - {"sequences"},
}


@pytest.mark.parametrize("group", list(CAN_OPEN))
def test_each_group_opens_its_pages_and_no_others(staff_client, group):
    browser = staff_client(group)

    opened = {
        page for page, url_name in PAGES.items() if browser.get(reverse(url_name), follow=True).status_code == 200
    }

    assert opened == CAN_OPEN[group]


def test_only_the_groups_that_may_add_customers_see_the_add_page(staff_client):
    url = reverse("admin:orders_customer_add")

    assert staff_client("Customer service").get(url).status_code == 200
    assert staff_client("Warehouse").get(url).status_code == 403
