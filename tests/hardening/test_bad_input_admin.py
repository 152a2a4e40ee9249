"""Hostile values in the staff console: every changelist action, list filter and search box, and
every button form on the order, shipment and invoice pages. No 500, and what cannot be input
changes nothing.
"""

from decimal import Decimal

import pytest
from django.contrib import admin
from django.urls import reverse

from orders.models import Order
from orders.services import fulfillment
from orders_site.core.admin_site import UNREADABLE_SELECTION, ConsoleAdminSite
from tests.admin.journeys import delivered, messages_in, place, place_held_for_address
from tests.admin.test_smoke import world  # noqa: F401 (a fixture: one of everything, for the changelists)
from tests.builders import shipment_scan_all

from .hostile import ALWAYS_REFUSED, HOSTILE, describe, row_counts, with_value

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


def changelist_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_every_model_admin_is_on_the_console_site():
    assert isinstance(admin.site, ConsoleAdminSite)


# --- changelist actions ---------------------------------------------------------------------------

ACTIONS = [
    (model, name) for model in MODELS for name in admin.site._registry[model].actions or () if isinstance(name, str)
] + [(model, "delete_selected") for model in MODELS]
UNREADABLE_IDS = ["abc", "1.5", "1 OR 1=1", "🎉", "x" * 10_000, str(10**30)]


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("model, action", ACTIONS, ids=lambda v: v if isinstance(v, str) else v._meta.label)
def test_a_changelist_action_with_ids_that_cannot_be_ids_is_refused_with_a_message(admin_client, model, action):
    admin_client.raise_request_exception = False
    before = row_counts()
    url = changelist_url(model)

    answers = {}
    for value in UNREADABLE_IDS:
        response = admin_client.post(url, {"action": action, "_selected_action": [value, "1"], "index": "0"})
        answers[describe(value)] = (response.status_code, response.get("Location"))
        said = messages_in(admin_client.get(url, follow=True))
    nul = admin_client.post(url, {"action": action, "_selected_action": ["\x00"], "index": "0"})
    no_such_rows = admin_client.post(url, {"action": action, "_selected_action": ["-1", "0"], "index": "0"})

    if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
        assert answers == {describe(value): (302, url) for value in UNREADABLE_IDS}
        assert said == [("error", UNREADABLE_SELECTION)]
    else:  # any text can be a key of this model: the action runs on the rows that match (none)
        assert all(status < 500 for status, _ in answers.values()), answers
    assert nul.status_code == 400
    assert no_such_rows.status_code < 500
    assert row_counts() == before


# --- list filters and search ------------------------------------------------------------------------


def filter_parameters(model_admin, request) -> set[str]:
    """The query parameters the changelist's filters read, plus the admin's own."""
    changelist = model_admin.get_changelist_instance(request)
    names = {"q", "o", "p", "e", "all", "_to_field", "_popup"}
    for list_filter in changelist.filter_specs:
        names.update(list_filter.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


# Every filter parameter gets the values that break types and ranges; the search box all of them.
FILTER_VALUES = ["10^12", "rtl-emoji"]  # too large for any column; not a number, not ASCII
SEARCH_VALUES = [
    ("q", name) for name in ("nul", "nul-inside", "int32+1", "minus-one", "word", "10k-chars", *FILTER_VALUES)
]


@pytest.mark.usefixtures("world")
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_list_filters_and_search_answer_hostile_values_without_a_500(admin_client, model):
    admin_client.raise_request_exception = False
    url = changelist_url(model)
    request = admin_client.get(url).wsgi_request
    parameters = filter_parameters(admin.site._registry[model], request)
    before = row_counts()

    crashes = {}
    for parameter, name in [(p, name) for p in sorted(parameters) for name in FILTER_VALUES] + SEARCH_VALUES:
        status = admin_client.get(url, {parameter: HOSTILE[name]}).status_code
        # 302: Django's "?e=1" for a filter it cannot read; 400: a NUL, or a _to_field refused
        if status >= 500 or (name == "nul" and status != 400):
            crashes[parameter, name] = status

    assert crashes == {}
    assert row_counts() == before


@pytest.mark.usefixtures("world")
def test_the_order_list_answers_crafted_status_and_hold_reason_filters(admin_client):
    admin_client.raise_request_exception = False
    url = changelist_url(Order)

    answers = {
        params: admin_client.get(url, dict([params])).status_code
        for params in [
            ("status", "\x00"),
            ("hold_reason", "\x00"),
            ("status__exact", "\x00"),
            ("status", "no_such_status"),
            ("hold_reason", "no_such_check"),
            ("hold_reason", "x" * 10_000),
            ("status__in", "a,b,\u202e"),
        ]
    }

    assert answers == {
        ("status", "\x00"): 400,
        ("hold_reason", "\x00"): 400,
        ("status__exact", "\x00"): 400,
        ("status", "no_such_status"): 200,
        ("hold_reason", "no_such_check"): 200,
        ("hold_reason", "x" * 10_000): 200,
        ("status__in", "a,b,\u202e"): 200,
    }


# --- the button forms on the change pages -----------------------------------------------------------


def _order(catalogue, staff, state):
    if state == "on_hold":
        return place_held_for_address(catalogue)
    return place(catalogue)


def _shipment(catalogue, staff, state):
    warehouse = staff["Warehouse"]
    order = fulfillment.order_fulfillment_start(order=place(catalogue), actor=warehouse)
    shipment = order.shipments.get()
    steps = {
        "picking": [fulfillment.shipment_start_picking, shipment_scan_all],
        "packed": [fulfillment.shipment_start_picking, shipment_scan_all, fulfillment.shipment_pack],
        "shipped": [fulfillment.shipment_start_picking, shipment_scan_all, fulfillment.shipment_pack, "dispatch"],
        "delivery_failed": [
            fulfillment.shipment_start_picking,
            shipment_scan_all,
            fulfillment.shipment_pack,
            "dispatch",
            fulfillment.shipment_fail_delivery,
        ],
    }
    for step in steps.get(state, []):
        if step == "dispatch":
            shipment = fulfillment.shipment_dispatch(
                shipment=shipment, carrier="PostNL", tracking_number="3S1", actor=warehouse
            )
        else:
            shipment = step(shipment=shipment, actor=warehouse)
    return shipment


def _invoice(catalogue, staff, state):
    return delivered(place(catalogue), staff["Warehouse"])


# (admin model, action) -> how to reach a state where the button shows, and what a person would type
BUTTONS = {
    ("order", "reverify"): (_order, "on_hold", {}),
    ("order", "release"): (_order, "on_hold", {"note": "checked by phone"}),
    ("order", "start_fulfillment"): (_order, "verified", {}),
    ("order", "cancel"): (_order, "verified", {"reason": "customer asked"}),
    ("shipment", "start_picking"): (_shipment, "pending", {}),
    ("shipment", "pack"): (_shipment, "picking", {}),
    ("shipment", "dispatch"): (
        _shipment,
        "packed",
        {"carrier": "PostNL", "service": "Parcel", "tracking_number": "3S1", "tracking_url": ""},
    ),
    ("shipment", "mark_in_transit"): (_shipment, "shipped", {}),
    ("shipment", "deliver"): (_shipment, "shipped", {}),
    ("shipment", "fail_delivery"): (_shipment, "shipped", {"note": "nobody home"}),
    ("shipment", "redispatch"): (_shipment, "delivery_failed", {}),
    ("shipment", "return_to_sender"): (_shipment, "delivery_failed", {"note": "refused"}),
    ("invoice", "record_payment"): (_invoice, "issued", {"amount": "1.00", "method": "bank_transfer"}),
}
# Which hostile values a field must refuse: a guard (what the page showed) refuses anything but the
# truth; a free-text field what no text field holds; the rest everything that is not a valid entry.
REFUSED_BY_KIND = {
    "guard": set(HOSTILE),
    "text": set(ALWAYS_REFUSED),
    "required": {*ALWAYS_REFUSED, "missing"},
    "url": {*ALWAYS_REFUSED, "word", "minus-one", "10^12", "int32+1", "rtl-emoji"},
    "amount": set(HOSTILE) - {"int32+1"},  # 2147483648.00 is a (very large) over-payment, accepted
    "choice": set(HOSTILE),
    # Re-check runs the checks again whatever the page showed (it changes no state by itself).
    "guard-unchecked": {"nul", "nul-inside", "missing"},
}
FIELD_KINDS = {"reason": "required", "tracking_url": "url", "amount": "amount", "method": "choice"}


def _state(obj):
    obj.refresh_from_db()
    return obj.status, getattr(obj, "amount_paid", None)


def _post_button(client, obj, action, typed: dict):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_staff_action", args=[obj.pk, action])
    return client.post(url, typed)


@pytest.mark.parametrize("button", BUTTONS, ids=lambda button: "-".join(button))
def test_button_forms_answer_hostile_values_without_a_500_and_refuse_what_cannot_be_input(
    admin_client, catalogue, staff_users, button
):
    admin_client.raise_request_exception = False
    kind_of_obj, action = button
    make, state, typed = BUTTONS[button]
    obj = make(catalogue, staff_users, state)
    model_admin = admin.site._registry[type(obj)]
    guard = next(a for a in model_admin.staff_actions if a.name == action).guard(obj)
    fields = {f"{action}-{name}": value for name, value in typed.items()}
    guard_kind = "guard-unchecked" if action == "reverify" else "guard"
    kinds = {f"{action}-{name}": FIELD_KINDS.get(name, "text") for name in typed} | dict.fromkeys(guard, guard_kind)
    before = _state(obj), row_counts()

    # when each field in turn gets each hostile value the field must refuse
    crashes, changed = {}, {}
    for field, kind in kinds.items():
        for name in REFUSED_BY_KIND[kind]:
            response = _post_button(admin_client, obj, action, with_value({**fields, **guard}, field, HOSTILE[name]))
            if response.status_code >= 500:
                crashes[field, name] = response.status_code
            if _state(obj) != before[0]:
                changed[field, name] = _state(obj)
                break

    # then nothing crashed or changed
    assert (crashes, changed) == ({}, {})
    assert (_state(obj), row_counts()) == before

    # and the values a field may take (an Arabic note, say) at worst press the button
    for field, kind in kinds.items():
        for name in set(HOSTILE) - REFUSED_BY_KIND[kind]:
            current_guard = next(a for a in model_admin.staff_actions if a.name == action).guard(obj)
            response = _post_button(
                admin_client, obj, action, with_value({**fields, **current_guard}, field, HOSTILE[name])
            )
            assert response.status_code < 500, (field, name)


def test_a_payment_the_invoice_cannot_hold_is_refused_not_a_500(admin_client, catalogue, staff_users):
    # given an invoice with a first payment of 1.00
    admin_client.raise_request_exception = False
    invoice = _invoice(catalogue, staff_users, "issued")
    url = reverse("admin:invoicing_invoice_staff_action", args=[invoice.pk, "record_payment"])
    admin_client.post(
        url, {"record_payment-amount": "1.00", "record_payment-method": "bank_transfer", "expected_amount_paid": "0.00"}
    )
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("1.00")

    # when the next payment is the largest the form takes: the sum no longer fits the column
    response = admin_client.post(
        url,
        {
            "record_payment-amount": "9999999999.99",
            "record_payment-method": "bank_transfer",
            "expected_amount_paid": "1.00",
        },
    )

    # then it is refused with a message, and the invoice is as it was
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("partially_paid", Decimal("1.00"))


# --- the bulk action forms (release / cancel with a note or reason) -------------------------------------


@pytest.mark.parametrize("action, field", [("release_selected", "note"), ("cancel_selected", "reason")])
def test_bulk_action_forms_refuse_hostile_notes_and_stale_pages(admin_client, catalogue, action, field):
    admin_client.raise_request_exception = False
    held = place_held_for_address(catalogue)
    url = changelist_url(Order)
    valid = {
        "action": action,
        "_selected_action": [held.pk],
        "apply": "1",
        field: "checked",
        f"expected_status_{held.pk}": held.status,
    }
    before = row_counts()

    answers = {}
    for name in ALWAYS_REFUSED:
        answers[field, name] = admin_client.post(url, with_value(valid, field, HOSTILE[name])).status_code
    for name, value in HOSTILE.items():
        if name != "missing":  # a missing guard is "out of date", refused; the note may be missing
            answers["guard", name] = admin_client.post(
                url, with_value(valid, f"expected_status_{held.pk}", value)
            ).status_code

    assert all(status < 500 for status in answers.values()), answers
    held.refresh_from_db()
    assert held.status == Order.Status.ON_HOLD
    assert row_counts() == before
