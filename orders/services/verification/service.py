"""Verification right after placement, staff re-checking a held order, and staff releasing a hold.

`order.checks` holds the results of the latest run (the queue filters on them); every run's
results are also kept in the data of the event it writes, so the history is on the timeline.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_fsm import has_transition_perm

from inventory.selectors import backorder_expected_date
from inventory.services import AllocationResult, stock_allocate_order
from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.formatting import count_display

from ...events import event_order_backorder_expected, event_order_recheck_failed
from ...locks import order_lock
from ...models import EmailNotification, Order, OrderCheck
from ..notifications import notification_queue
from ..transitions import transition_run
from .checks import CheckOutcome, check_customer, check_pricing, stock_allocate_and_check
from .risk import check_risk

CHECKS = [check_customer, check_pricing, stock_allocate_and_check, check_risk]


class SoldOut(ApplicationError):
    """Placing the order found too little stock of a product that cannot be back-ordered (another
    order took the last units after the customer's cart was checked). `extra["product_ids"]`."""


def _outcomes_run(order: Order, actor) -> list[CheckOutcome]:
    return [check(order, actor) for check in CHECKS]


def _outcomes_store(order: Order, outcomes: list[CheckOutcome], *, first_run: bool = False) -> list[CheckOutcome]:
    if not first_run:  # an order just placed has no results to replace
        OrderCheck.objects.filter(order=order).delete()
    OrderCheck.objects.bulk_create(
        [OrderCheck(order=order, name=o.name, result=o.result, detail=o.detail) for o in outcomes]
    )
    return outcomes


def _outcomes_record(order: Order, actor) -> list[CheckOutcome]:
    return _outcomes_store(order, _outcomes_run(order, actor))


def _sold_out_refuse(order: Order, outcomes: list[CheckOutcome]) -> None:
    """Raise SoldOut when the stock check failed: something is short that cannot be back-ordered.

    Whatever else failed too, such an order cannot be filled, so a customer checking out on their
    own is better told "sold out" now than thanked for an order that waits on hold for nothing.
    """
    stock = next((o for o in outcomes if o.name == "stock"), None)
    if stock is None or not stock.failed:
        return
    short = order.lines.filter(pk__in=list(stock.allocation.short_by_line), product__is_backorderable=False)
    names = list(short.order_by("pk").values_list("name", "product_id"))
    raise SoldOut(
        f"Sorry, {', '.join(name for name, _ in names)} sold out while you were checking out.",
        extra={"field": "lines", "product_ids": [product_id for _, product_id in names]},
    )


def _allocation(outcomes: list[CheckOutcome]) -> AllocationResult | None:
    return next((o.allocation for o in outcomes if o.allocation is not None), None)


def _decide(outcomes: list[CheckOutcome]) -> tuple[str, str, dict]:
    """(transition, note for staff, event data) for a run of checks."""
    data = {"checks": [o.as_data() for o in outcomes]}
    allocation = _allocation(outcomes)
    stock_note = ""
    if allocation is not None and allocation.strategy:
        data["allocation"] = allocation.as_data()
        stock_note = f" {allocation.summary()}"
    failed = [o for o in outcomes if o.failed]
    if failed:
        reasons = [f"{o.name}: {o.detail}" for o in failed]
        return "hold", "; ".join(reasons) + "." + stock_note, {**data, "reasons": reasons}
    backordered = [o for o in outcomes if o.backorder]
    if backordered:
        reasons = [o.detail for o in backordered]
        return "backorder", "; ".join(reasons) + "." + stock_note, {**data, "reasons": reasons}
    return "verify", "All checks passed." + stock_note, data


def _expected_text(expected) -> str:
    today = timezone.localdate()
    return date_format(expected, "j F" if expected.year == today.year else "j F Y")


def _backorder_announce(order: Order) -> None:
    """Tell the customer when the missing items should be in: a note on their timeline and an e-mail."""
    expected = backorder_expected_date(order=order)
    if expected is None:
        return
    event = event_order_backorder_expected(
        order=order, expected_date=expected, note=f"Expected to ship around {_expected_text(expected)}"
    )
    notification_queue(order=order, kind=EmailNotification.Kind.ORDER_BACKORDERED, subject_key=f"event:{event.pk}")


@transaction.atomic
def order_verify_automatically(*, order: Order, actor=None, refuse_when_sold_out: bool = False) -> Order:
    """Run every check, store each result, and move the order to verified, backordered or on_hold.

    Locks: orders.locks.order_lock, then the stock levels of its products (inventory.locks.
    stock_levels_lock, through stock_allocate_order). Queues: the back-order e-mail with the
    expected date (back-ordered orders only). Raises nothing for a failed check: the order goes on
    hold with the reasons in the event's note and data. With `refuse_when_sold_out` (a customer
    checking out on their own) stock that ran short and cannot be back-ordered raises SoldOut
    instead, before anything is recorded; what was allocated is rolled back with this service's
    transaction, and the caller's must roll back the order too.
    """
    return _verify(order_lock(order_id=order.pk), actor=actor, refuse_when_sold_out=refuse_when_sold_out)


@transaction.atomic(savepoint=False)
def order_verify_placed(*, order: Order, refuse_when_sold_out: bool = False) -> Order:
    """order_verify_automatically for the order placement has just inserted in this transaction:
    `order` is that very instance (its row locked by the INSERT, its addresses, delivery method
    and lines in memory), so nothing is read again and there are no earlier results to replace.
    Locks the stock levels of its products (inventory.locks.stock_levels_lock)."""
    return _verify(order, actor=None, refuse_when_sold_out=refuse_when_sold_out, first_run=True)


def _verify(order: Order, *, actor, refuse_when_sold_out: bool, first_run: bool = False) -> Order:
    outcomes = _outcomes_run(order, actor)
    if refuse_when_sold_out:
        _sold_out_refuse(order, outcomes)
    transition, note, data = _decide(_outcomes_store(order, outcomes, first_run=first_run))
    order = transition_run(
        model=Order,
        pk=order.pk,
        transition=transition,
        actor=actor,
        system="verification",
        check_permission=False,
        note=note,
        data=data,
        locked=order,
    )
    if transition == "backorder":
        _backorder_announce(order)
    return order


@transaction.atomic
def order_release(*, order: Order, actor, note: str = "", expected_status: str | None = None) -> Order:
    """Staff confirm a held (or back-ordered) order: allocate what can be, then verify it.

    A held order whose only shortage is back-orderable goes to backordered instead (the customer
    is told the expected date). Refused while stock is short and cannot be back-ordered, or while
    a back-ordered order is still short (the order stays where it is).
    Locks: orders.locks.order_lock, then its products' stock levels (inventory.locks.stock_levels_lock).
    Raises TransitionRefused, PermissionRefused, ApplicationError.
    """
    order = order_lock(order_id=order.pk)
    if expected_status is not None and order.status != expected_status:
        return transition_run(
            model=Order, pk=order.pk, transition="verify", actor=actor, expected_status=expected_status
        )
    if actor is not None and order.status in Order.CANCELLABLE and not has_transition_perm(order.verify, actor):
        raise PermissionRefused(f"You are not allowed to verify order {order.number}.")
    data = {}
    if order.status in (Order.Status.ON_HOLD, Order.Status.BACKORDERED, Order.Status.PLACED):
        allocation = stock_allocate_order(order=order, actor=actor)
        if allocation.strategy:
            data["allocation"] = allocation.as_data()
            note = f"{note} ({allocation.summary()})" if note else allocation.summary()
        if not allocation.complete:
            short_lines = order.lines.filter(pk__in=allocation.short_by_line).select_related("product")
            short = sum(allocation.short_by_line.values())
            if order.status == Order.Status.BACKORDERED or not all(
                line.product.is_backorderable for line in short_lines
            ):
                raise ApplicationError(
                    f"Order {order.number} is still short of {count_display(short, 'unit')}; it cannot be released yet."
                )
            order = transition_run(model=Order, pk=order.pk, transition="backorder", actor=actor, note=note, data=data)
            _backorder_announce(order)
            return order
    return transition_run(model=Order, pk=order.pk, transition="verify", actor=actor, note=note, data=data)


@transaction.atomic
def order_reverify(*, order: Order, actor=None) -> Order:
    """Run every check again on a held order (after staff fixed the address, say).

    All pass: the order is verified (or back-ordered); a check still fails: it stays on hold and
    the new results are recorded in an "order.recheck_failed" event. Locks: orders.locks.order_lock,
    then its stock levels (inventory.locks.stock_levels_lock). Queues the back-order e-mail when it
    becomes back-ordered.
    Raises TransitionRefused when the order is not on hold, PermissionRefused.
    """
    if actor is not None and not (actor.is_staff and actor.has_perm("orders.verify_order")):
        raise PermissionRefused("You are not allowed to re-check orders.")
    order = order_lock(order_id=order.pk)
    if order.status != Order.Status.ON_HOLD:
        raise TransitionRefused(f"Order {order.number} is not on hold; there is nothing to re-check.")
    transition, note, data = _decide(_outcomes_record(order, actor))
    if transition == "hold":
        event_order_recheck_failed(order=order, actor=actor, note=note, data=data)
        return order
    if transition == "backorder":
        order = transition_run(
            model=Order,
            pk=order.pk,
            transition="backorder",
            actor=actor,
            check_permission=False,
            note=note,
            data=data,
        )
        _backorder_announce(order)
        return order
    return transition_run(
        model=Order, pk=order.pk, transition="verify", actor=actor, note=f"Re-checked: {note}", data=data
    )


def order_recheck_after_edit(*, order: Order, actor=None) -> Order:
    """Every check again on an order staff just edited (orders.services.order_edits), inside the
    edit's transaction with the order locked: it moves to what the checks decide (verified,
    back-ordered with its e-mail, or on hold); already there, it stays and the new results are
    recorded with the checks. Raises nothing of its own (the transitions are consequences of the
    permitted edit)."""
    transition, note, data = _decide(_outcomes_record(order, actor))
    if (transition, order.status) in {
        ("verify", Order.Status.VERIFIED),
        ("hold", Order.Status.ON_HOLD),
        ("backorder", Order.Status.BACKORDERED),
    }:
        return order
    order = transition_run(
        model=Order,
        pk=order.pk,
        transition=transition,
        actor=actor,
        system="verification",
        check_permission=False,
        note=f"Re-checked after edit: {note}",
        data=data,
    )
    if transition == "backorder":
        _backorder_announce(order)
    return order
