"""Invoices and payments (invoicing/services.py): issued on delivery with a gapless number from the
order's frozen lines; partial payments, over-payments, card capture; completion of the order."""

from decimal import Decimal
from unittest import mock

import kombu.exceptions
import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from invoicing.gateways import GatewayResult, TestGateway
from invoicing.models import Invoice, Payment
from invoicing.services import invoice_issue
from invoicing.tasks import invoice_pdf_render_task
from lifecycle.delivery import shipment_deliver
from lifecycle.settlement import payment_record
from orders.models import Customer, EmailNotification, Order, Voucher
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import customer_build, order_advance, order_build, parcels_of

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def warehouse(staff_users):
    return staff_users["Warehouse"]


@pytest.fixture
def service(staff_users):
    return staff_users["Customer service"]


def place(catalogue, customer, *products_and_quantities, **kwargs) -> Order:
    return order_build(customer=customer, lines=products_and_quantities or [(catalogue.chair, 1)], **kwargs)


@pytest.fixture
def invoice(catalogue, customer, warehouse) -> Invoice:
    """One chair, delivered: 149.00 + 31.29 tax + shipping 4.95 + 1.04 tax = 186.28."""
    order = place(catalogue, customer, state="invoiced", actor=warehouse)
    return order.invoices.get()


def number_of(invoice: Invoice) -> int:
    return int(invoice.number.rsplit("-", 1)[1])


# --- Issuing -----------------------------------------------------------------------------------


def test_delivery_issues_the_invoice_from_the_order_lines(catalogue, customer, warehouse):
    order = place(catalogue, customer, (catalogue.chair, 2), (catalogue.book, 1))

    order = order_advance(order=order, state="invoiced", actor=warehouse)

    invoice = order.invoices.get()
    assert invoice.status == Invoice.Status.ISSUED
    assert invoice.number == f"INV-{timezone.now():%Y}-000001"
    assert [(li.sku, li.description, li.quantity, li.unit_price, li.line_total) for li in invoice.lines.all()] == [
        ("CHAIR-1", "Oak chair", 2, D("149.00"), D("360.58")),
        ("BOOK-1", "Woodworking book", 1, D("24.50"), D("26.71")),
    ]
    assert (invoice.subtotal, invoice.shipping_total, invoice.tax_total, invoice.total) == (
        D("322.50"),
        D("4.95"),
        D("65.83"),
        D("393.28"),
    )
    assert invoice.tax_breakdown == [
        {"rate": "0.0900", "percent": "9", "net": "24.50", "tax": "2.21"},
        {"rate": "0.2100", "percent": "21", "net": "302.95", "tax": "63.62"},
    ]
    assert (invoice.billing_name, invoice.billing_address) == (
        "Anna de Vries",
        "Prinsengracht 263\n1016 GV Amsterdam\nNetherlands",
    )
    assert invoice.balance_due == invoice.total
    issue = order.events.get(kind="invoice.issue")
    assert (issue.object_id, issue.from_state, issue.to_state, issue.data["number"]) == (
        invoice.pk,
        "draft",
        "issued",
        invoice.number,
    )
    assert EmailNotification.objects.filter(order=order, kind="invoice", subject_key=f"invoice:{invoice.pk}").exists()


def test_prepaid_customers_get_the_default_term_and_account_customers_their_own(catalogue, warehouse):
    prepaid = Customer.objects.create(full_name="Prepaid", email="prepaid@example.com")
    account = Customer.objects.create(
        full_name="Account", email="account@example.com", payment_terms=Customer.PaymentTerms.NET, net_days=30
    )

    invoices = [place(catalogue, c, state="invoiced", actor=warehouse).invoices.get() for c in (prepaid, account)]

    terms = [(i.due_date - timezone.localdate(i.issued_at)).days for i in invoices]
    assert terms == [settings.DEFAULT_PAYMENT_TERMS_DAYS, 30]


def test_an_order_is_invoiced_once(invoice, catalogue, customer, warehouse):
    with pytest.raises(ApplicationError, match="already has an invoice"):
        invoice_issue(order=invoice.order, actor=warehouse)

    assert Invoice.objects.count() == 1
    later = place(catalogue, customer_build(), state="invoiced", actor=warehouse).invoices.get()
    assert number_of(later) == 2, "the refused attempt used no number"


def test_an_order_not_yet_delivered_is_not_invoiced(catalogue, customer, warehouse):
    order = place(catalogue, customer)
    order_advance(order=order, state="shipped", actor=warehouse)

    with pytest.raises(ApplicationError, match="Cannot invoice order .* while it is “Shipped”"):
        invoice_issue(order=order, actor=warehouse)

    assert not Invoice.objects.exists()


def test_invoice_numbers_are_consecutive_and_a_rolled_back_number_goes_to_the_next_invoice(catalogue, warehouse):
    first, interrupted, third = (place(catalogue, customer_build()) for _ in range(3))
    parcels = {
        order.pk: parcels_of(order_advance(order=order, state="shipped", actor=warehouse))[0]
        for order in (first, interrupted, third)
    }

    shipment_deliver(shipment=parcels[first.pk], actor=warehouse)
    with pytest.raises(RuntimeError), transaction.atomic():
        shipment_deliver(shipment=parcels[interrupted.pk], actor=warehouse)
        raise RuntimeError("the request died before commit")
    assert not interrupted.invoices.exists()
    shipment_deliver(shipment=parcels[third.pk], actor=warehouse)
    shipment_deliver(shipment=parcels[interrupted.pk], actor=warehouse)

    numbers = {order.number: number_of(order.invoices.get()) for order in (first, interrupted, third)}
    assert numbers == {first.number: 1, third.number: 2, interrupted.number: 3}


def test_the_invoice_keeps_the_prices_and_discount_of_the_order(catalogue, customer, warehouse):
    # Given an order placed with 10 % off: 149.00 - 14.90 = 134.10 + 28.16 tax, shipping 4.95 + 1.04.
    voucher = Voucher.objects.create(code="SPRING10", percent_off=D("10"))
    order = place(catalogue, customer, discount_code="SPRING10")
    (parcel,) = parcels_of(order_advance(order=order, state="shipped", actor=warehouse))

    # When the manager changes the catalogue and the voucher before the parcel arrives.
    catalogue.chair.price = D("179.00")
    catalogue.chair.save()
    voucher.percent_off = D("50")
    voucher.save()
    shipment_deliver(shipment=parcel, actor=warehouse)

    # Then the invoice bills what the customer agreed to, and its tax rows add up to its totals.
    invoice = order.invoices.get()
    assert (invoice.subtotal, invoice.discount_total, invoice.tax_total, invoice.total) == (
        D("149.00"),
        D("14.90"),
        D("29.20"),
        D("168.25"),
    )
    assert invoice.lines.get().unit_price == D("149.00")
    assert invoice.tax_breakdown == [{"rate": "0.2100", "percent": "21", "net": "139.05", "tax": "29.20"}]


# --- Payments ----------------------------------------------------------------------------------


def test_partial_payments_then_the_rest_complete_the_order(invoice, service, catalogue):
    order = invoice.order

    payment_record(invoice=invoice, amount=D("100.00"), method="bank_transfer", reference="NL12 0001", actor=service)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == ("partially_paid", D("100.00"), D("86.28"))
    assert Order.objects.get(pk=order.pk).status == Order.Status.INVOICED

    payment_record(invoice=invoice, amount=D("50.00"), method="bank_transfer", actor=service)
    payment_record(invoice=invoice, amount=D("36.28"), method="bank_transfer", actor=service)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == ("paid", D("186.28"), D("0.00"))
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    kinds = list(order.events.filter(kind__startswith="invoice.").values_list("kind", flat=True))
    assert kinds == [
        "invoice.issue",
        "invoice.record_partial_payment",
        "invoice.record_partial_payment",
        "invoice.mark_paid",
    ]
    assert [e.kind for e in order.events.filter(kind__in=["order.pay", "order.complete"])] == [
        "order.pay",
        "order.complete",
    ]
    assert set(order.notifications.values_list("kind", flat=True)) >= {"payment_confirmation", "feedback_request"}
    assert order.feedback_request is not None
    recorded = Payment.objects.filter(invoice=invoice).order_by("pk")
    assert [(p.amount, p.status, p.recorded_by) for p in recorded] == [
        (D("100.00"), "captured", service),
        (D("50.00"), "captured", service),
        (D("36.28"), "captured", service),
    ]
    assert recorded[0].reference == "NL12 0001"


def test_an_over_payment_is_recorded_and_shown(invoice, service):
    payment_record(invoice=invoice, amount=D("200.00"), method="bank_transfer", actor=service)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == ("paid", D("200.00"), D("-13.72"))
    paid = invoice.order.events.get(kind="invoice.mark_paid")
    assert paid.data == {"paid": "200.00", "overpaid": "13.72"}
    assert Order.objects.get(pk=invoice.order_id).status == Order.Status.COMPLETED


def test_amounts_are_rounded_half_up_to_cents(invoice, service):
    payment = payment_record(invoice=invoice, amount=D("10.005"), method="in_person_cash", actor=service)

    assert payment.amount == D("10.01")


@pytest.mark.parametrize("amount", [D("0"), D("-5.00"), D("0.004")])
def test_a_payment_must_be_above_zero(invoice, service, amount):
    with pytest.raises(ApplicationError) as refused:
        payment_record(invoice=invoice, amount=amount, method="bank_transfer", actor=service)

    assert refused.value.extra == {"field": "amount"}
    assert not Payment.objects.exists()


def test_no_payment_on_a_paid_invoice(invoice, service):
    payment_record(invoice=invoice, amount=invoice.total, method="bank_transfer", actor=service)

    with pytest.raises(ApplicationError, match="is paid; no payment can be recorded"):
        payment_record(invoice=invoice, amount=D("1.00"), method="bank_transfer", actor=service)

    assert Payment.objects.count() == 1


def test_warehouse_staff_cannot_record_a_payment(invoice, warehouse):
    with pytest.raises(PermissionRefused):
        payment_record(invoice=invoice, amount=D("10.00"), method="in_person_cash", actor=warehouse)

    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("issued", D("0.00"))


# --- Cards -------------------------------------------------------------------------------------


def test_a_card_authorised_at_checkout_is_captured_after_the_invoice_is_issued(
    catalogue, customer, warehouse, django_capture_on_commit_callbacks
):
    order = place(catalogue, customer, payment_method="card", card_token="4242 4242 4242 4242")

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        order = order_advance(order=order, state="invoiced", actor=warehouse)
    # Nothing is taken from the card inside the delivery's transaction
    assert order.payments.get().status == Payment.Status.AUTHORIZED
    assert order.status == Order.Status.INVOICED

    with django_capture_on_commit_callbacks(execute=True):
        for callback in after_commit:
            callback()

    order.refresh_from_db()
    invoice = order.invoices.get()
    payment = order.payments.get()
    assert (payment.status, payment.invoice, payment.amount) == ("captured", invoice, order.total)
    assert (invoice.status, invoice.amount_paid) == ("paid", order.total)
    assert order.status == Order.Status.COMPLETED
    capture = order.events.get(kind="payment.capture")
    assert (capture.from_state, capture.to_state, capture.actor_label) == ("authorized", "captured", "payment gateway")


def test_a_capture_task_run_twice_captures_once(catalogue, customer, warehouse, django_capture_on_commit_callbacks):
    from lifecycle.tasks import payment_capture_task

    order = place(catalogue, customer, payment_method="card", card_token="4242 4242 4242 4242")
    with django_capture_on_commit_callbacks(execute=True):
        order = order_advance(order=order, state="invoiced", actor=warehouse)
    payment = order.payments.get()

    with mock.patch.object(TestGateway, "capture") as capture:
        payment_capture_task.delay(payment.pk)

    capture.assert_not_called()
    assert order.events.filter(kind="payment.capture").count() == 1


class CaptureDecliningGateway(TestGateway):
    def capture(self, *, gateway_reference, amount) -> GatewayResult:
        return GatewayResult(ok=False, message="Authorisation expired")


def test_a_capture_the_bank_refuses_leaves_the_invoice_open(
    catalogue, customer, warehouse, settings, django_capture_on_commit_callbacks
):
    order = place(catalogue, customer, payment_method="card", card_token="4242 4242 4242 4242")
    settings.PAYMENT_GATEWAY = f"{__name__}.CaptureDecliningGateway"

    with django_capture_on_commit_callbacks(execute=True):
        order = order_advance(order=order, state="invoiced", actor=warehouse)

    assert order.payments.get().status == Payment.Status.FAILED
    assert order.events.get(kind="payment.fail").note == "Authorisation expired"
    invoice = order.invoices.get()
    assert (invoice.status, invoice.balance_due) == ("issued", order.total)
    assert order.status == Order.Status.INVOICED


def test_a_lost_capture_task_is_queued_again_by_the_beat_sweep(
    catalogue, customer, warehouse, django_capture_on_commit_callbacks
):
    from invoicing.services import payment_captures_requeue_stale

    order = place(catalogue, customer, payment_method="card", card_token="4242 4242 4242 4242")
    with django_capture_on_commit_callbacks(execute=False):
        order = order_advance(order=order, state="invoiced", actor=warehouse)
    assert payment_captures_requeue_stale(older_than_seconds=600) == 0, "not before the grace period"

    Invoice.objects.filter(order=order).update(issued_at=timezone.now() - timezone.timedelta(minutes=11))
    assert payment_captures_requeue_stale(older_than_seconds=600) == 1

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert payment_captures_requeue_stale(older_than_seconds=600) == 0


# --- After commit ------------------------------------------------------------------------------


def test_a_broker_outage_at_delivery_does_not_undo_the_delivery_and_the_pdf_follows_later(
    catalogue, customer, warehouse, django_capture_on_commit_callbacks
):
    order = place(catalogue, customer)
    (parcel,) = parcels_of(order_advance(order=order, state="shipped", actor=warehouse))
    broker_down = kombu.exceptions.OperationalError("[Errno 111] Connection refused")

    with (
        mock.patch.object(invoice_pdf_render_task, "delay", side_effect=broker_down),
        mock.patch("lifecycle.tasks.notification_send.delay", side_effect=broker_down),
        django_capture_on_commit_callbacks(execute=True),
    ):
        shipment_deliver(shipment=parcel, actor=warehouse)

    # Then the parcel is delivered and the invoice issued; the PDF and its e-mail wait for the
    # periodic jobs (the outbox row is pending, the invoice has no PDF yet).
    order.refresh_from_db()
    assert order.status == Order.Status.INVOICED
    invoice = order.invoices.get()
    assert (invoice.status, invoice.pdf.name) == (Invoice.Status.ISSUED, "")
    assert order.notifications.get(kind="invoice").status == EmailNotification.Status.PENDING


def test_invoice_numbers_follow_the_merchants_calendar_year(catalogue, customer, warehouse, settings, monkeypatch):
    # Given 1 January 00:30 in Amsterdam, which is still 31 December in UTC
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    settings.TIME_ZONE = "Europe/Amsterdam"
    shipments = parcels_of(place(catalogue, customer, (catalogue.book, 1), state="shipped", actor=warehouse))
    new_year = datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    assert new_year.year == 2026  # timezone.now() is in UTC, as Django gives it
    monkeypatch.setattr(timezone, "now", lambda: new_year)

    # When the last parcel is delivered then, the invoice opens the new year's series
    for shipment in shipments:
        shipment_deliver(shipment=shipment, actor=warehouse)

    invoice = Invoice.objects.get(order=shipments[0].order)
    assert invoice.number == f"{settings.INVOICE_NUMBER_PREFIX}2027-000001"


def test_a_payment_needs_a_known_method(invoice, service):
    with pytest.raises(ApplicationError) as refused:
        payment_record(invoice=invoice, amount=Decimal("10.00"), method="bitcoin", actor=service)

    assert refused.value.extra == {"field": "method"}
    assert not invoice.payments.exists()
