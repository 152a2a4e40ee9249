"""Every page of the staff console for orders, invoicing, feedback and core opens (CONVENTIONS rule 15)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from api.idempotency import idempotent_run
from api.keys import api_key_create
from invoicing.services import refund_create, store_credit_issue
from invoicing.services.reminders import reminders_send_due
from lifecycle.bank_statements import bank_statement_import
from lifecycle.credit_notes import credit_note_issue
from lifecycle.order_import import order_import_create, order_import_template
from lifecycle.tracking import tracking_event_receive
from orders.models import Cart, CartLine, RiskRules, ShippingZone, Voucher
from orders.services.picking import pick_batch_create
from orders.services.placement import LineRequest
from orders.services.quotes import QuoteRequest, quote_save_draft
from orders.services.return_requests import return_request_create
from reports.rollup import rollup_rebuild
from reports.services import export_job_request
from tests.builders import (
    carrier_build,
    feedback_given,
    order_build,
    order_edited,
    parcels_of,
    reminder_levels_build,
    shipment_hand_to_carrier,
)
from webhooks.models import WebhookDelivery
from webhooks.sending import webhook_delivery_attempt
from webhooks.subscriptions import webhook_subscription_create

from .journeys import place, place_held_for_address

pytestmark = pytest.mark.django_db

OUR_APPS = {"orders", "invoicing", "feedback", "core", "reports", "api", "webhooks"}
MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in OUR_APPS),
    key=lambda model: model._meta.label,
)


def test_every_model_of_our_apps_is_registered():
    from django.apps import apps

    ours = {m for label in OUR_APPS for m in apps.get_app_config(label).get_models()}
    # Rows edited only inside their parent's page (a delivery method's weight bands) count as shown.
    inline = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    assert ours - set(admin.site._registry) - inline == set()


@pytest.fixture
def world(catalogue, staff_users):
    """One of everything: a completed order with feedback, a held order, a cart, settings rows, a pick
    batch, an edited order with money owed back."""
    order = place(
        catalogue, state="completed", lines=[(catalogue.chair, 1), (catalogue.book, 1), (catalogue.assembly, 1)]
    )
    feedback_given(order, rating=2, comment="Slow")
    invoice = order.invoices.get()
    credit_note = credit_note_issue(  # a credit note on the paid invoice, and the money it leaves owed back
        invoice=invoice, units={invoice.lines.get(sku="BOOK-1").pk: 1}, reason="Damaged", actor=staff_users["Managers"]
    )
    refund_create(  # paid back by bank transfer, still to send
        order=order,
        amount=credit_note.total,
        method="bank_transfer",
        reason="Damaged",
        iban="NL91ABNA0417164300",
        account_holder="Anna",
        actor=staff_users["Managers"],
    )
    store_credit_issue(customer=order.customer, amount=Decimal("5.00"), reason="Sorry", actor=staff_users["Managers"])
    return_request_create(  # a return of the chair, asked for by customer service for the customer
        order=order,
        units={order.lines.get(sku="CHAIR-1").pk: 1},
        reason="damaged",
        actor=staff_users["Managers"],
        for_customer=True,
    )
    place_held_for_address(catalogue)
    shopper = User.objects.create_user("shopper")
    cart = Cart.objects.create(user=shopper)
    CartLine.objects.create(cart=cart, product=catalogue.lamp, quantity=2)
    Voucher.objects.create(code="spring10", percent_off=Decimal("10"))
    place(catalogue, discount_code="SPRING10")  # a voucher's use (a redemption)
    picked = place(catalogue, state="in_fulfillment", actor=staff_users["Warehouse"])
    pick_batch_create(shipments=parcels_of(picked), actor=staff_users["Warehouse"])  # a pick batch
    RiskRules.current()
    ShippingZone.objects.create(name="Benelux", countries=["NL", "BE", "LU"])
    # an edited card order that now costs less: a version, and an amount owed back
    edited = order_build(lines=[(catalogue.book, 1), (catalogue.lamp, 1)], payment_method="card")
    order_edited(edited, lines=[(catalogue.book, 1)], actor=staff_users["Customer service"])
    # a parcel with a carrier on record and what the carrier said of it
    parcel = shipment_hand_to_carrier(shipment=parcels_of(place(catalogue, state="packed"))[0], carrier=carrier_build())
    tracking_event_receive(
        shipment=parcel, kind="in_transit", occurred_at=None, external_id="EV-1", source="webhook", payload={}
    )
    quote_save_draft(
        request=QuoteRequest(customer=order.customer, lines=[LineRequest(product_id=catalogue.lamp.pk, quantity=1)]),
        actor=staff_users["Customer service"],
    )
    # an unpaid invoice three days overdue, and the friendly reminder beat sent for it
    reminder_levels_build()
    overdue = place(catalogue, state="invoiced").invoices.get()
    reminders_send_due(today=overdue.due_date + timedelta(days=3))
    # a bank statement: one credit paid part of the overdue invoice, one waits to be matched
    bank_statement_import(
        name="bank.csv",
        content=(
            "date,amount,currency,counterparty,iban,remittance\n"
            f"2026-12-01,1.00,EUR,Anna,,{overdue.order.payment_reference}\n"
            "2026-12-01,3.00,EUR,Someone,,no idea\n"
        ).encode(),
        actor=staff_users["Managers"],
    )
    # the dashboard's roll-up of yesterday, and an export waiting for the worker
    yesterday = timezone.localdate() - timedelta(days=1)
    rollup_rebuild(first_day=yesterday, last_day=yesterday)
    export_job_request(user=staff_users["Managers"], kind="orders", file_format="csv", query="", rows_total=1)
    # an integration's key, and the answer it was given to a POST with an Idempotency-Key
    key, _raw = api_key_create(name="ERP", scopes=["orders:read", "orders:write"])
    idempotent_run(api_key=key, key="erp-1", fingerprint="f", work=lambda: (200, {"ok": True}))
    # a CSV import that placed one order (and its external reference), and one refused
    order_import_create(
        source="Marketplace", file_name="a.csv", content=order_import_template().encode(), placed_via="t"
    )
    order_import_create(source="Marketplace", file_name="b.csv", content=b"sku\nNOPE\n", placed_via="t")
    # a webhook subscription, an event for it, and its first attempt (nothing listens on port 9)
    webhook_subscription_create(name="ERP", url="http://127.0.0.1:9/hooks", event_types=["order.placed"])
    place(catalogue)
    webhook_delivery_attempt(delivery_id=WebhookDelivery.objects.latest("pk").pk)
    return order


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_changelist_search_change_and_add_pages_open(world, admin_client, model):
    info = (model._meta.app_label, model._meta.model_name)
    model_admin = admin.site._registry[model]
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the world has no {model._meta.label}"

    changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)), follow=True)
    searched = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "0001"}, follow=True)
    # follow: the order desk's pages (adding an order, opening a draft) are reached by a redirect
    change = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]), follow=True)

    assert changelist.status_code == 200
    assert searched.status_code == 200
    assert change.status_code == 200
    request = change.wsgi_request
    if model_admin.has_add_permission(request):
        assert admin_client.get(reverse("admin:{}_{}_add".format(*info)), follow=True).status_code == 200
    else:
        assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403


@pytest.mark.parametrize(
    "model_label",
    [
        "orders.Order",
        "orders.OrderEvent",
        "orders.Shipment",
        "orders.TrackingEvent",
        "invoicing.Invoice",
        "invoicing.Payment",
    ],
)
def test_service_written_rows_cannot_be_deleted(world, admin_client, model_label):
    from django.apps import apps

    model = apps.get_model(model_label)
    obj = model._default_manager.order_by("pk").first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_delete", args=[obj.pk])

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert model._default_manager.filter(pk=obj.pk).exists()


def test_order_page_shows_lines_shipments_checks_and_the_timeline(world, admin_client):
    response = admin_client.get(reverse("admin:orders_order_change", args=[world.pk]))

    text = response.text
    # The timeline tells each event in a sentence, never by its code.
    for expected in (
        "Oak chair",
        "Woodworking book",
        "Assembly service",
        "Customer service completed the order.",
        "Customer service recorded a payment of",
    ):
        assert expected in text
    assert "order.complete" not in text and "payment.capture" not in text
    shipment = world.shipments.first()
    assert reverse("admin:orders_shipment_change", args=[shipment.pk]) in text
    invoice = world.invoices.get()
    assert reverse("admin:invoicing_invoice_change", args=[invoice.pk]) in text
    # Completed: no buttons left, and the order's address can no longer be changed
    assert "Nothing for you to do here in this state." in text
    assert "Fix this address" not in text
    address_page = admin_client.get(reverse("admin:orders_address_change", args=[world.shipping_address_id]))
    assert 'name="line1"' not in address_page.text


def test_shipment_and_invoice_timelines_name_events_in_words(world, admin_client):
    shipment = world.shipments.first()
    invoice = world.invoices.get()

    shipment_page = admin_client.get(reverse("admin:orders_shipment_change", args=[shipment.pk])).text
    invoice_page = admin_client.get(reverse("admin:invoicing_invoice_change", args=[invoice.pk])).text

    assert "handed parcel 1 to the carrier (PostNL)" in shipment_page and "shipment.dispatch" not in shipment_page
    assert f"issued invoice {invoice.number}" in invoice_page and "invoice.issue" not in invoice_page


def test_order_search_by_number_and_email_and_filters(world, admin_client):
    changelist = reverse("admin:orders_order_changelist")

    by_number = admin_client.get(changelist, {"q": world.number})
    by_email = admin_client.get(changelist, {"q": world.email})
    by_status = admin_client.get(changelist, {"status__exact": "completed", "channel__exact": "web"})
    by_date = admin_client.get(changelist, {"placed_at__year": world.placed_at.year})

    for response in (by_number, by_email, by_status):
        assert list(response.context["cl"].result_list) == [world]
    assert world in by_date.context["cl"].result_list


def test_risk_rules_is_one_row_that_managers_edit(world, staff_client):
    browser = staff_client("Managers")
    rules = RiskRules.current()

    listing = browser.get(reverse("admin:orders_riskrules_changelist"))
    response = browser.post(
        reverse("admin:orders_riskrules_change", args=[rules.pk]),
        {
            "large_order_total": "1500.00",
            "first_order_total": "400.00",
            "velocity_max_orders": "3",
            "velocity_window_minutes": "60",
            "duplicate_window_minutes": "30",
            "hold_country_mismatch": "on",
        },
    )

    assert listing.status_code == 302 and listing["Location"].endswith(f"/{rules.pk}/change/")
    assert response.status_code == 302
    assert RiskRules.current().large_order_total == Decimal("1500.00")
    assert RiskRules.objects.count() == 1
    assert staff_client("Customer service").get(reverse("admin:orders_riskrules_changelist")).status_code == 403


def test_a_used_voucher_keeps_its_discount(catalogue, admin_client):
    voucher = Voucher.objects.create(code="SPRING10", percent_off=Decimal("10"))
    unused = Voucher.objects.create(code="FALL5", percent_off=Decimal("5"))
    place(catalogue, discount_code="SPRING10")

    used_page = admin_client.get(reverse("admin:orders_voucher_change", args=[voucher.pk]))
    unused_page = admin_client.get(reverse("admin:orders_voucher_change", args=[unused.pk]))

    assert 'name="percent_off"' not in used_page.text
    assert 'name="percent_off"' in unused_page.text


def test_customer_with_address_book_is_added_by_customer_service(staff_client):
    from orders.models import Customer

    browser = staff_client("Customer service")
    response = browser.post(
        reverse("admin:orders_customer_add"),
        {
            "full_name": "Jan Jansen",
            "email": "jan@example.com",
            "payment_terms": "net",
            "net_days": "30",
            "addresses-TOTAL_FORMS": "1",
            "addresses-INITIAL_FORMS": "0",
            "addresses-0-full_name": "Jan Jansen",
            "addresses-0-line1": "Damrak 1",
            "addresses-0-postal_code": "1012 LG",
            "addresses-0-city": "Amsterdam",
            "addresses-0-country": "NL",
        },
    )

    assert response.status_code == 302
    customer = Customer.objects.get(email="jan@example.com")
    assert [a.city for a in customer.addresses.all()] == ["Amsterdam"]


def test_sequences_are_read_only(world, admin_client):
    from orders_site.core.models import Sequence

    counter = Sequence.objects.create(name="invoice-test", last_value=7)
    response = admin_client.post(reverse("admin:core_sequence_change", args=[counter.pk]), {"last_value": "0"})

    assert response.status_code == 403
    counter.refresh_from_db()
    assert counter.last_value > 0
