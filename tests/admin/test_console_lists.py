"""What the console's lists show in their columns (issue 10, item 2): a status badge on every row, an
order's payment standing, totals with their currency, hold reasons, a parcel's units and a stock
level's state, which agrees with the list's stock filter. tests/browser/test_staff_console.py checks
that they fit a 1280 px screen; tests/admin/test_query_counts.py and inventory's admin tests that
their query counts stay flat."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import StockLevel
from invoicing.models import Invoice
from invoicing.services.standing import payment_standings_mark_overdue
from lifecycle.settlement import payment_record
from tests.builders import parcels_of, stock_put

from .journeys import place, place_held_for_address

pytestmark = pytest.mark.django_db


def cells(page: str, row_of, column: str) -> str:
    """The text of one column in the row of `row_of` (the row that links to its page), tags stripped."""
    link = reverse(f"admin:{row_of._meta.app_label}_{row_of._meta.model_name}_change", args=[row_of.pk])
    row = next(tr for tr in page.split("<tr")[1:] if f'href="{link}' in tr)
    cell = re.search(rf'<t[dh] class="field-{column}[^"]*">(.*?)</t[dh]>', row, re.S).group(1)
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", cell)).strip(" ")


def test_the_order_list_shows_state_payment_total_and_hold_reason(catalogue, admin_client, staff_users):
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=20)
    card = place(catalogue, payment_method="card")
    due = place(catalogue, state="invoiced")
    partly = place(catalogue, state="invoiced")
    invoice = partly.invoices.get()
    payment_record(
        invoice=invoice, amount=Decimal("10.00"), method="bank_transfer", actor=staff_users["Customer service"]
    )
    late = place(catalogue, state="invoiced")
    Invoice.objects.filter(order=late).update(due_date=timezone.localdate() - timedelta(days=3))  # time passed
    assert payment_standings_mark_overdue() == 1  # beat's daily sweep
    paid = place(catalogue, state="completed")
    held = place_held_for_address(catalogue)

    page = admin_client.get(reverse("admin:orders_order_changelist")).text

    assert cells(page, card, "payment") == "Authorised"
    assert cells(page, due, "payment") == "Unpaid"
    assert cells(page, partly, "payment") == "Partially paid"
    assert cells(page, late, "payment") == "Overdue"
    assert cells(page, paid, "payment") == "Paid"
    assert cells(page, held, "status_badge") == "On hold"
    assert 'class="badge badge--attention" data-status="on_hold"' in page
    assert cells(page, held, "hold_reasons").startswith("Customer details delivery postal code")
    assert cells(page, held, "total_display") == f"€\u00a0{held.total}"
    assert cells(page, held, "customer_name") == held.customer.full_name


def test_the_shipment_list_shows_state_and_units(catalogue, admin_client, staff_users):
    order = place(catalogue, lines=[(catalogue.lamp, 7)], state="in_fulfillment", actor=staff_users["Warehouse"])
    amsterdam, rotterdam = parcels_of(order)

    page = admin_client.get(reverse("admin:orders_shipment_changelist")).text

    assert (cells(page, amsterdam, "units"), cells(page, rotterdam, "units")) == ("5", "2")
    assert cells(page, amsterdam, "status_badge") == "Pending"


def test_the_invoice_list_shows_state_total_and_balance(catalogue, admin_client, staff_users):
    invoice = place(catalogue, state="invoiced").invoices.get()
    payment_record(
        invoice=invoice, amount=Decimal("5.00"), method="bank_transfer", actor=staff_users["Customer service"]
    )

    page = admin_client.get(reverse("admin:invoicing_invoice_changelist")).text

    assert cells(page, invoice, "status_badge") == "Partially paid"
    assert cells(page, invoice, "total_display") == f"€\u00a0{invoice.total}"
    assert cells(page, invoice, "balance_display") == f"€\u00a0{invoice.total - Decimal('5.00')}"


def test_a_stock_level_reads_as_its_filters_count_it(catalogue, admin_client):
    StockLevel.objects.filter(product=catalogue.chair).update(reorder_point=12)  # 10 on hand: low
    place(catalogue, lines=[(catalogue.lamp, 5)])  # Amsterdam's five lamps promised: nothing available
    changelist = reverse("admin:inventory_stocklevel_changelist")

    def states(query) -> dict[str, str]:
        response = admin_client.get(changelist, query)
        return {
            f"{level.product.sku}@{level.warehouse.code}": cells(response.text, level, "state")
            for level in response.context["cl"].result_list
        }

    assert states({"stock": "low"}) == {"CHAIR-1@AMS": "Low"}
    assert states({"stock": "out"}) == {"LAMP-1@AMS": "Out of stock"}
    assert states({}) == {
        "BOOK-1@RTM": "In stock",
        "CHAIR-1@AMS": "Low",
        "LAMP-1@AMS": "Out of stock",
        "LAMP-1@RTM": "In stock",
    }
