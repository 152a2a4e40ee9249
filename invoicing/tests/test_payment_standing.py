"""An order's payment standing, stored beside its status (issue 13, item 1): worked out after
every payment, refund and credit note, and by the daily overdue sweep; the console filters it."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.services import refund_create
from invoicing.services.standing import payment_standing_of, payment_standings_mark_overdue
from lifecycle.cancellation import order_cancel
from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.models import Order
from tests.builders import order_build

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = date(2026, 12, 3)


def invoice(total="100.00", credited="0", status="issued", due=TODAY + timedelta(days=14)):
    return Invoice(number="INV-1", total=D(total), amount_credited=D(credited), status=status, due_date=due)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({}, "unpaid"),
        ({"authorised": D("100")}, "authorised"),
        ({"captured": D("40"), "invoices": [invoice()]}, "partially_paid"),
        ({"captured": D("100"), "invoices": [invoice()]}, "paid"),
        ({"captured": D("120"), "invoices": [invoice()]}, "paid"),
        ({"captured": D("60"), "invoices": [invoice(credited="40")]}, "paid"),
        ({"invoices": [invoice(credited="100", status="credited")]}, "paid"),
        ({"captured": D("10"), "invoices": [invoice(due=TODAY - timedelta(days=1))]}, "overdue"),
        ({"captured": D("100"), "refunded": D("30"), "invoices": [invoice(credited="30")]}, "partially_refunded"),
        ({"captured": D("100"), "refunded": D("100"), "cancelled": True}, "refunded"),
    ],
)
def test_each_standing_from_its_figures(figures, expected):
    arguments = {
        "order_total": D("100"),
        "cancelled": False,
        "captured": D("0"),
        "authorised": D("0"),
        "refunded": D("0"),
        "invoices": [],
        "today": TODAY,
        **figures,
    }
    assert payment_standing_of(**arguments) == expected


def standing(order) -> str:
    return Order.objects.get(pk=order.pk).payment_standing


def test_a_card_order_goes_authorised_then_paid_then_partially_refunded(
    catalogue, staff_users, django_capture_on_commit_callbacks
):
    service = staff_users["Customer service"]
    order = order_build(lines=[(catalogue.book, 2)], state="verified", payment_method="card")
    assert standing(order) == "authorised"

    order = order_build(lines=[(catalogue.book, 2)], state="completed", payment_method="card")
    assert standing(order) == "paid"

    invoice = order.invoices.get()
    credit = credit_note_issue(invoice=invoice, units={invoice.lines.get().pk: 1}, reason="Damaged", actor=service)
    with django_capture_on_commit_callbacks(execute=True):
        refund_create(order=order, amount=credit.total, method="card", reason="Damaged", actor=service)
    assert standing(order) == "partially_refunded"


def test_a_bank_transfer_order_goes_unpaid_partially_paid_overdue_paid(catalogue, staff_users):
    service = staff_users["Customer service"]
    order = order_build(lines=[(catalogue.book, 1)], state="invoiced")
    invoice = order.invoices.get()
    assert standing(order) == "unpaid"

    payment_record(invoice=invoice, amount=D("1.00"), method="bank_transfer", actor=service)
    assert standing(order) == "partially_paid"

    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    assert payment_standings_mark_overdue() == 1
    assert standing(order) == "overdue"
    assert payment_standings_mark_overdue() == 0  # once

    invoice.refresh_from_db()
    payment_record(invoice=invoice, amount=invoice.balance_due, method="bank_transfer", actor=service)
    assert standing(order) == "paid"


def test_a_cancelled_card_order_is_unpaid_again(catalogue, staff_users):
    order = order_build(lines=[(catalogue.book, 1)], state="verified", payment_method="card")

    order_cancel(order=order, actor=staff_users["Customer service"])

    assert standing(order) == "unpaid"


def test_the_order_list_filters_by_payment_standing(catalogue, admin_client):
    paid = order_build(lines=[(catalogue.book, 1)], state="completed", payment_method="card")
    unpaid = order_build(lines=[(catalogue.book, 1)], state="invoiced")

    listed = admin_client.get(reverse("admin:orders_order_changelist") + "?payment_standing__exact=paid")

    assert [order.pk for order in listed.context["cl"].result_list] == [paid.pk]
    assert unpaid.pk not in [order.pk for order in listed.context["cl"].result_list]
