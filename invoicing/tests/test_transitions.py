"""Invoice and payment state machines, run through `transition_run` (CONVENTIONS rules 5 and 13).

Rows are put straight into each state (the test is about the state alone); the states come from
the models' `Status` choices, so a new state is covered without touching this file. Every change
writes its one event on the order's timeline.
"""

from decimal import Decimal

import pytest

from invoicing.models import Invoice, Payment
from orders.models import Order, OrderEvent
from orders.services.transitions import transition_run
from orders_site.core.exceptions import PermissionRefused, TransitionRefused
from tests.builders import order_row

pytestmark = pytest.mark.django_db

I = Invoice.Status  # noqa: E741
INVOICE_TRANSITIONS = {
    # transition: (the states it may start from, the state it reaches)
    "issue": ([I.DRAFT], I.ISSUED),
    "record_partial_payment": ([I.ISSUED, I.PARTIALLY_PAID], I.PARTIALLY_PAID),
    "mark_paid": ([I.ISSUED, I.PARTIALLY_PAID], I.PAID),
    "credit_in_full": ([I.ISSUED], I.CREDITED),
}
P = Payment.Status
PAYMENT_TRANSITIONS = {
    "authorize": ([P.PENDING], P.AUTHORIZED),
    "capture": ([P.PENDING, P.AUTHORIZED], P.CAPTURED),
    "fail": ([P.PENDING, P.AUTHORIZED], P.FAILED),
    "void": ([P.PENDING, P.AUTHORIZED], P.VOIDED),
}


def allowed_cases(model, table):
    return [
        pytest.param(model, name, source, target, id=f"{model._meta.model_name}.{name}-from-{source}")
        for name, (sources, target) in table.items()
        for source in sources
    ]


def refused_cases(model, table):
    return [
        pytest.param(model, name, state, id=f"{model._meta.model_name}.{name}-from-{state}")
        for name, (sources, _) in table.items()
        for state in model.Status.values
        if state not in sources
    ]


@pytest.fixture
def manager(staff_users):
    """Managers hold every invoicing permission, so refusals in the matrix are about the state only."""
    return staff_users["Managers"]


# The state of the order a bare invoice or payment row belongs to.
ORDER_STATUS = {Invoice: Order.Status.DELIVERED, Payment: Order.Status.INVOICED}


def invoice_row(*, status: str) -> Invoice:
    order = order_row(status=ORDER_STATUS[Invoice])
    amounts = {name: Decimal("0.00") for name in ("subtotal", "discount_total", "shipping_total", "tax_total", "total")}
    invoice = Invoice.objects.create(
        order=order, currency="EUR", billing_name="Row Customer", billing_address="Damrak 1", **amounts
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=status)
    invoice.refresh_from_db()
    return invoice


def payment_row(*, status: str) -> Payment:
    order = order_row(status=ORDER_STATUS[Payment])
    payment = Payment.objects.create(order=order, method=Order.PaymentMethod.CARD, amount=Decimal("10.00"))
    Payment.objects.filter(pk=payment.pk).update(status=status)
    payment.refresh_from_db()
    return payment


ROWS = {Invoice: invoice_row, Payment: payment_row}


def test_the_matrix_lists_every_transition_of_the_models():
    for model, table in ((Invoice, INVOICE_TRANSITIONS), (Payment, PAYMENT_TRANSITIONS)):
        names = {t.name for t in model._meta.get_field("status").get_all_transitions(model)}
        assert names == set(table), model.__name__


@pytest.mark.parametrize(
    ("model", "name", "source", "target"),
    allowed_cases(Invoice, INVOICE_TRANSITIONS) + allowed_cases(Payment, PAYMENT_TRANSITIONS),
)
def test_transition_from_an_allowed_state_writes_one_event_on_the_order(manager, model, name, source, target):
    obj = ROWS[model](status=source)

    transition_run(model=model, pk=obj.pk, transition=name, actor=manager)

    obj.refresh_from_db()
    assert obj.status == target
    event = OrderEvent.objects.get(order=obj.order)  # exactly one, or this raises
    object_type = model._meta.model_name
    assert (event.kind, event.object_type, event.object_id) == (f"{object_type}.{name}", object_type, obj.pk)
    assert (event.from_state, event.to_state) == (source, target)
    assert event.actor == manager and event.actor_label == manager.username
    assert Order.objects.get(pk=obj.order_id).status == ORDER_STATUS[model], "the bare transition moves only itself"


@pytest.mark.parametrize(
    ("model", "name", "state"),
    refused_cases(Invoice, INVOICE_TRANSITIONS) + refused_cases(Payment, PAYMENT_TRANSITIONS),
)
def test_transition_from_any_other_state_is_refused_and_changes_nothing(manager, model, name, state):
    obj = ROWS[model](status=state)

    with pytest.raises(TransitionRefused) as refused:
        transition_run(model=model, pk=obj.pk, transition=name, actor=manager)

    assert type(refused.value) is TransitionRefused, "the manager may do it; the state forbids it"
    message = str(refused.value)
    assert message.startswith("Cannot ") and f"{model._meta.verbose_name} {obj}" in message
    assert f"“{model.Status(state).label}”" in message
    obj.refresh_from_db()
    assert obj.status == state
    assert not OrderEvent.objects.exists()


@pytest.mark.parametrize(("model", "state"), [(Invoice, Invoice.Status.PAID), (Payment, Payment.Status.CAPTURED)])
def test_status_cannot_be_assigned_directly(model, state):
    obj = ROWS[model](status=model.Status.values[0])

    with pytest.raises(AttributeError, match="Direct status modification is not allowed"):
        obj.status = state

    obj.refresh_from_db()
    assert obj.status == model.Status.values[0]


def test_a_stale_screen_is_refused_without_an_event(manager):
    # Given the invoice was paid in full while a clerk still had it open as "issued".
    invoice = invoice_row(status=Invoice.Status.PAID)

    with pytest.raises(TransitionRefused, match="changed to “Paid” since you opened it"):
        transition_run(
            model=Invoice,
            pk=invoice.pk,
            transition="record_partial_payment",
            actor=manager,
            expected_status=Invoice.Status.ISSUED,
        )

    assert not OrderEvent.objects.exists()


# The buttons people press, and the staff groups that may press them.
MONEY_BUTTONS = {
    (Invoice, "issue"): {"Managers"},
    (Invoice, "record_partial_payment"): {"Customer service", "Managers"},
    (Invoice, "mark_paid"): {"Customer service", "Managers"},
    (Payment, "capture"): {"Customer service", "Managers"},
    (Payment, "void"): {"Customer service", "Managers"},
}
TABLES = {Invoice: INVOICE_TRANSITIONS, Payment: PAYMENT_TRANSITIONS}


@pytest.mark.parametrize(
    ("model", "name", "group", "permitted"),
    [
        pytest.param(model, name, group, group in groups, id=f"{model._meta.model_name}.{name}-by-{group}")
        for (model, name), groups in MONEY_BUTTONS.items()
        for group in ("Warehouse", "Customer service", "Managers")
    ],
)
def test_money_buttons_are_limited_to_their_groups(staff_users, model, name, group, permitted):
    sources, target = TABLES[model][name]
    obj = ROWS[model](status=sources[0])

    if permitted:
        transition_run(model=model, pk=obj.pk, transition=name, actor=staff_users[group])
    else:
        with pytest.raises(PermissionRefused, match="You are not allowed to"):
            transition_run(model=model, pk=obj.pk, transition=name, actor=staff_users[group])

    obj.refresh_from_db()
    assert obj.status == (target if permitted else sources[0])
    assert OrderEvent.objects.count() == (1 if permitted else 0)
