"""The customer's words for every state (lifecycle.customer_status, issue 10 item 9)."""

import re
from datetime import date

import pytest

from invoicing.models import Invoice
from lifecycle.customer_status import (
    HOLD_WORDING,
    hold_reason,
    invoice_status_wording,
    order_status_wording,
    shipment_status_wording,
)
from orders.models import Order, Shipment

TONES = {"progress", "waiting", "attention", "done", "stopped"}
# What staff read about a held order; none of it may reach the customer.
INTERNAL_WORDS = re.compile(r"risk|fraud|scor|rule|suspic|velocity|duplicate|threshold|mismatch", re.IGNORECASE)


def _all_wordings():
    """Every order wording the module can give: each status, with and without what varies it."""
    for status in Order.Status:
        for variant in (
            {},
            {"hold_reasons": ["customer"]},
            {"hold_reasons": ["stock"]},
            {"hold_reasons": ["pricing"]},
            {"hold_reasons": ["risk"]},
            {"expected_date": date(2026, 6, 12)},
            {"has_tracking": True},
            {"is_pickup": True},
            {"payment_method": Order.PaymentMethod.CARD},
            {"payment_method": Order.PaymentMethod.BANK_TRANSFER},
            {"payment_method": Order.PaymentMethod.CASH_ON_DELIVERY},
        ):
            yield status, variant, order_status_wording(status=status, **variant)


@pytest.mark.parametrize("status", list(Order.Status))
def test_every_order_status_has_customer_words(status):
    # A status added to Order.Status without words here raises KeyError
    wording = order_status_wording(status=status)

    assert wording.headline and wording.next_step.endswith(".")
    assert wording.tone in TONES


@pytest.mark.parametrize("status", list(Shipment.Status))
def test_every_parcel_status_has_customer_words(status):
    assert shipment_status_wording(status)


@pytest.mark.parametrize("status", list(Invoice.Status))
def test_every_invoice_status_has_customer_words(status):
    assert invoice_status_wording(status)


def test_no_wording_reveals_why_staff_hold_an_order():
    for status, variant, wording in _all_wordings():
        text = f"{wording.headline} {wording.next_step}"
        assert not INTERNAL_WORDS.search(text), (status, variant, text)


def test_a_held_order_never_reads_as_confirmed_and_says_what_happens_next():
    for reason, wording in HOLD_WORDING.items():
        assert wording.headline.startswith("On hold: "), reason
        assert "confirm" not in (wording.headline + wording.next_step).lower(), reason
        assert re.search(r"will (e-mail you|be in touch)", wording.next_step), "a held order says we act next"


@pytest.mark.parametrize(
    ("failed_checks", "reason"),
    [
        (["customer"], "address"),
        (["stock"], "stock"),
        (["pricing"], "payment"),
        (["risk"], "review"),
        (["risk", "customer"], "address"),  # the customer can help with the address; the rest is ours
        (["pricing", "stock"], "stock"),
        ([], "review"),  # held by staff by hand
        (["a check added later"], "review"),  # unknown reasons read as the safe sentence
    ],
)
def test_the_hold_reason_the_customer_reads(failed_checks, reason):
    assert hold_reason(failed_checks) == reason
    assert order_status_wording(status=Order.Status.ON_HOLD, hold_reasons=failed_checks) == HOLD_WORDING[reason]


def test_specific_states_read_as_the_issue_asks():
    assert (
        order_status_wording(status=Order.Status.ON_HOLD, hold_reasons=["customer"]).headline
        == "On hold: we need to check your address"
    )
    assert order_status_wording(status=Order.Status.VERIFIED).headline == "We are preparing your order"
    assert order_status_wording(status=Order.Status.IN_FULFILLMENT).headline == "We are preparing your order"
    backordered = order_status_wording(status=Order.Status.BACKORDERED, expected_date=date(2026, 6, 12))
    assert backordered.headline == "Waiting for stock, expected around 12 June 2026"
    assert order_status_wording(status=Order.Status.BACKORDERED).headline == "Waiting for stock"
    shipped = order_status_wording(status=Order.Status.SHIPPED, has_tracking=True)
    assert shipped.headline == "Your order is on its way" and "Parcels" in shipped.next_step
    assert "Parcels" not in order_status_wording(status=Order.Status.SHIPPED).next_step
    transfer = order_status_wording(status=Order.Status.INVOICED, payment_method="bank_transfer")
    assert "payment reference" in transfer.next_step and transfer.tone == "attention"
    card = order_status_wording(status=Order.Status.INVOICED, payment_method="card")
    assert "do not need to do anything" in card.next_step
    assert "collect" in order_status_wording(status=Order.Status.VERIFIED, is_pickup=True).next_step
