"""Stock quantities have sane bounds in the services and every staff form that takes one.

One movement line moves at most STOCK_MOVEMENT_MAX_QUANTITY units (2147483648 or 10**12 used to
overflow the columns on PostgreSQL, a 500), and a receipt line above STOCK_RECEIPT_CONFIRM_ABOVE
asks the person to confirm, so one typo cannot receive a billion units.
"""

import pytest
from django.urls import reverse

from inventory.models import PurchaseOrder, StockLevel, StockMovement
from inventory.services import (
    LargeReceiptUnconfirmed,
    PurchaseLineRequest,
    purchase_order_create,
    purchase_order_receive,
    stock_adjust,
    stock_level_settings_update,
    stock_receive,
    stock_return,
    stock_write_off,
)
from orders_site.core.exceptions import ApplicationError
from tests.builders import purchase_order_sent, supplier_build

from .hostile import HOSTILE, MISSING, describe, with_value

pytestmark = pytest.mark.django_db

MAX = 100_000  # the default STOCK_MOVEMENT_MAX_QUANTITY
CONFIRM_ABOVE = 1_000  # the default STOCK_RECEIPT_CONFIRM_ABOVE
TOO_MANY = [MAX + 1, 2**31, 10**12]


@pytest.fixture
def level(catalogue):
    """The chair in Amsterdam: 10 on hand, nothing promised."""
    return StockLevel.objects.select_related("product", "warehouse").get(
        product=catalogue.chair, warehouse=catalogue.main
    )


def ledger(level) -> tuple:
    level.refresh_from_db()
    return level.on_hand, level.allocated, StockMovement.objects.count()


# --- the services -------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", TOO_MANY)
def test_services_refuse_a_movement_above_the_largest_before_writing(catalogue, level, quantity):
    before = ledger(level)
    calls = {
        "receive": lambda: stock_receive(
            product=level.product, warehouse=level.warehouse, quantity=quantity, confirmed=True
        ),
        "return": lambda: stock_return(product=level.product, warehouse=level.warehouse, quantity=quantity),
        "adjust up": lambda: stock_adjust(stock_level=level, delta=quantity, reason="recount"),
        "adjust down": lambda: stock_adjust(stock_level=level, delta=-quantity, reason="recount"),
        "write off": lambda: stock_write_off(stock_level=level, quantity=quantity, reason="water"),
        "purchase": lambda: purchase_order_create(
            supplier=supplier_build(),
            warehouse=level.warehouse,
            lines=[PurchaseLineRequest(product=level.product, quantity=quantity)],
        ),
        "reorder quantity": lambda: stock_level_settings_update(
            stock_level=level, reorder_point=0, reorder_quantity=quantity, safety_stock=0, bin_location=None
        ),
    }

    refusals = {}
    for name, call in calls.items():
        with pytest.raises(ApplicationError) as refused:
            call()
        refusals[name] = refused.value.message

    assert all(f"{MAX:,}" in message for message in refusals.values()), refusals
    assert ledger(level) == before
    assert not PurchaseOrder.objects.exists()


def test_the_largest_movement_is_a_setting(catalogue, level, settings):
    settings.STOCK_MOVEMENT_MAX_QUANTITY = 50

    with pytest.raises(ApplicationError, match="at most 50 units"):
        stock_receive(product=level.product, warehouse=level.warehouse, quantity=51)
    stock_receive(product=level.product, warehouse=level.warehouse, quantity=50)

    assert ledger(level)[0] == 60


def test_a_receipt_above_the_threshold_needs_confirming(catalogue, level):
    before = ledger(level)

    stock_receive(product=level.product, warehouse=level.warehouse, quantity=CONFIRM_ABOVE)  # at the threshold
    with pytest.raises(LargeReceiptUnconfirmed) as asked:
        stock_receive(product=level.product, warehouse=level.warehouse, quantity=CONFIRM_ABOVE + 1)
    assert ledger(level) == (before[0] + CONFIRM_ABOVE, 0, before[2] + 1)
    stock_receive(product=level.product, warehouse=level.warehouse, quantity=CONFIRM_ABOVE + 1, confirmed=True)

    assert asked.value.extra == {"field": "confirm_large"}
    assert "1,001 x CHAIR-1" in asked.value.message
    assert ledger(level)[0] == before[0] + 2 * CONFIRM_ABOVE + 1


def test_a_purchase_order_receipt_above_the_threshold_needs_confirming(catalogue, level):
    purchase_order = purchase_order_sent(warehouse=level.warehouse, lines=[(level.product, 5_000)])
    line = purchase_order.lines.get()

    with pytest.raises(LargeReceiptUnconfirmed):
        purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 5_000})
    assert ledger(level)[0] == 10
    purchase_order_receive(purchase_order=purchase_order, quantities={line.pk: 5_000}, confirmed=True)

    assert ledger(level)[0] == 5_010


# --- the staff forms ----------------------------------------------------------------------------

STOCK_ACTIONS = {
    "receive_stock": {"reference": "DN-1"},
    "adjust_stock": {"reason": "recount"},
    "write_off_stock": {"reason": "water damage"},
}


def post_action(client, action: str, level, **data):
    return client.post(
        reverse("admin:inventory_stocklevel_changelist"),
        {"action": action, "_selected_action": [level.pk], "apply": "1", **data},
    )


@pytest.mark.parametrize("action", STOCK_ACTIONS)
def test_stock_action_forms_refuse_hostile_quantities_beside_the_field(admin_client, level, action):
    admin_client.raise_request_exception = False
    before = ledger(level)
    field = f"level_{level.pk}"
    answers = {}

    hostile = {name: value for name, value in HOSTILE.items() if (action, name) != ("adjust_stock", "minus-one")}
    for name, value in hostile.items():
        response = post_action(admin_client, action, level, **with_value({**STOCK_ACTIONS[action]}, field, value))
        errors = response.context["form"].errors if response.status_code == 200 and response.context else None
        answers[name] = (response.status_code, bool(errors))

    # NUL is refused by the request check (400), everything else by the form, beside the field
    expected = {name: (400, False) if "nul" in name else (200, True) for name in hostile}
    assert answers == expected
    assert ledger(level) == before


@pytest.mark.parametrize("action, quantity", [("receive_stock", MAX + 1), ("adjust_stock", -(MAX + 1))])
def test_stock_action_forms_say_what_the_largest_movement_is(admin_client, level, action, quantity):
    before = ledger(level)

    response = post_action(admin_client, action, level, **STOCK_ACTIONS[action], **{f"level_{level.pk}": quantity})

    assert f"{MAX:,} units" in response.context["form"].errors[f"level_{level.pk}"][0]
    assert ledger(level) == before


def test_receiving_many_in_the_action_form_asks_to_confirm_then_receives(admin_client, level):
    field = f"level_{level.pk}"

    asked = post_action(admin_client, "receive_stock", level, reference="DN-2", **{field: 5_000})
    form = asked.context["form"]
    page = asked.content.decode()
    not_ticked = post_action(
        admin_client, "receive_stock", level, reference="DN-2", **{field: 5_000, "confirm_large": ""}
    )
    received = post_action(
        admin_client, "receive_stock", level, reference="DN-2", **{field: 5_000, "confirm_large": "on"}
    )

    assert "5,000 x CHAIR-1" in form.errors["confirm_large"][0]
    assert 'name="confirm_large"' in page and 'type="checkbox"' in page
    assert not_ticked.status_code == 200 and not_ticked.context["form"].errors["confirm_large"]
    assert received.status_code == 302
    assert ledger(level)[0] == 5_010


def test_the_receive_page_bounds_the_quantity_and_asks_to_confirm(admin_client, catalogue, level):
    admin_client.raise_request_exception = False
    url = reverse("admin:inventory_stocklevel_receive")
    data = {"product": level.product.pk, "warehouse": level.warehouse.pk, "quantity": 3}
    before = ledger(level)

    answers = {name: admin_client.post(url, with_value(data, "quantity", v)).status_code for name, v in HOSTILE.items()}
    too_many = admin_client.post(url, {**data, "quantity": MAX + 1})
    asked = admin_client.post(url, {**data, "quantity": 2_000})

    assert answers == {name: 400 if "nul" in name else 200 for name in HOSTILE}
    assert f"{MAX:,} units" in too_many.context["form"].errors["quantity"][0]
    assert asked.context["form"].errors["confirm_large"]
    assert ledger(level) == before
    assert admin_client.post(url, {**data, "quantity": 2_000, "confirm_large": "on"}).status_code == 302
    assert ledger(level)[0] == 2_010


def test_the_purchase_order_receive_page_refuses_hostile_quantities_and_asks_to_confirm(admin_client, level):
    admin_client.raise_request_exception = False
    purchase_order = purchase_order_sent(warehouse=level.warehouse, lines=[(level.product, 3_000)])
    line = purchase_order.lines.get()
    url = reverse("admin:inventory_purchaseorder_receive", args=[purchase_order.pk])
    before = ledger(level)

    answers = {
        name: admin_client.post(url, with_value({}, f"line_{line.pk}", value)).status_code
        for name, value in HOSTILE.items()
        if value is not MISSING  # a missing line is 0 received: "enter at least one line"
    }
    asked = admin_client.post(url, {f"line_{line.pk}": 3_000})

    assert set(answers.values()) <= {200, 400}, answers
    assert "confirm_large" in asked.context["form"].errors
    assert 'name="confirm_large"' in asked.content.decode()
    assert ledger(level) == before
    assert admin_client.post(url, {f"line_{line.pk}": 3_000, "confirm_large": "on"}).status_code == 302
    assert ledger(level)[0] == 3_010


def test_a_purchase_order_line_above_the_largest_is_refused_in_the_admin(admin_client, level):
    admin_client.raise_request_exception = False
    supplier = supplier_build()
    answers = {}

    data = {
        "supplier": supplier.pk,
        "warehouse": level.warehouse.pk,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": level.product.pk,
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
    }

    for name, value in {**HOSTILE, "max+1": str(MAX + 1)}.items():
        response = admin_client.post(
            reverse("admin:inventory_purchaseorder_add"), with_value(data, "lines-0-quantity_ordered", value)
        )
        answers[name] = response.status_code

    assert set(answers.values()) <= {200, 400}, answers
    assert not PurchaseOrder.objects.exists()


def test_the_stock_level_page_refuses_hostile_reorder_settings(admin_client, level):
    admin_client.raise_request_exception = False
    url = reverse("admin:inventory_stocklevel_change", args=[level.pk])
    data = {"reorder_point": 3, "reorder_quantity": 10, "safety_stock": 2}
    problems = {}

    for field in data:
        for value in HOSTILE.values():
            response = admin_client.post(url, with_value(data, field, value))
            level.refresh_from_db()
            changed = (level.reorder_point, level.reorder_quantity, level.safety_stock) != (0, 0, 0)
            if response.status_code >= 500 or changed:
                problems[field, describe(value)] = (response.status_code, changed)

    assert problems == {}
