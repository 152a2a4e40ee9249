"""Verification right after placement, and staff releasing a hold. Each check is recorded."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from inventory.services import stock_allocate_order
from orders_site.core.exceptions import ApplicationError, TransitionRefused

from ..events import event_note
from ..models import Order, OrderCheck
from ..pricing import PriceInput, price_order
from .transitions import transition_run

POSTAL_CODE_SHAPES = {
    "NL": r"\d{4}\s?[A-Z]{2}",
    "BE": r"\d{4}",
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "GB": r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}",
    "US": r"\d{5}(-\d{4})?",
}


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    result: str
    detail: str = ""
    backorder: bool = False


def _check_stock(order: Order, actor) -> CheckOutcome:
    allocation = stock_allocate_order(order=order, actor=actor)
    if allocation.complete:
        where = ", ".join(sorted(allocation.warehouse_codes))
        return CheckOutcome(
            "stock", OrderCheck.Result.PASSED, f"Allocated from {where}" if where else "Nothing to allocate"
        )
    lines = {line.pk: line for line in order.lines.select_related("product")}
    short = [(lines[line_id], qty) for line_id, qty in allocation.short_by_line.items()]
    detail = "; ".join(f"{line.sku} short by {qty}" for line, qty in short)
    if all(line.product.is_backorderable for line, _ in short):
        return CheckOutcome("stock", OrderCheck.Result.WARNING, f"Back-ordered: {detail}", backorder=True)
    return CheckOutcome("stock", OrderCheck.Result.FAILED, f"Out of stock: {detail}")


def _check_pricing(order: Order, actor) -> CheckOutcome:
    lines = list(order.lines.all())
    priced = price_order(
        lines=[
            PriceInput(unit_price=line.unit_price, tax_rate=line.tax_rate, quantity=line.quantity) for line in lines
        ],
        percent_off=order.voucher.percent_off if order.voucher else 0,
        shipping_fee=order.shipping_total,
        shipping_tax_rate=order.shipping_tax_rate,
    )
    if priced.total != order.total:
        return CheckOutcome(
            "pricing", OrderCheck.Result.FAILED, f"Total {order.total} but lines add up to {priced.total}"
        )
    return CheckOutcome("pricing", OrderCheck.Result.PASSED, f"Totals recomputed: {priced.total}")


def _check_customer(order: Order, actor) -> CheckOutcome:
    problems = []
    try:
        validate_email(order.email)
    except ValidationError:
        problems.append("e-mail address is not valid")
    for label, address in (("delivery", order.shipping_address), ("billing", order.billing_address)):
        if address is None:
            continue
        missing = [
            f for f in ("full_name", "line1", "postal_code", "city", "country") if not getattr(address, f).strip()
        ]
        if missing:
            problems.append(f"{label} address lacks {', '.join(m.replace('_', ' ') for m in missing)}")
        shape = POSTAL_CODE_SHAPES.get(address.country.upper())
        if shape and not re.fullmatch(shape, address.postal_code.strip().upper()):
            problems.append(
                f"{label} postal code {address.postal_code!r} does not look like one from {address.country}"
            )
    if problems:
        return CheckOutcome("customer", OrderCheck.Result.FAILED, "; ".join(problems))
    return CheckOutcome("customer", OrderCheck.Result.PASSED, "E-mail and addresses look complete")


CHECKS = [_check_customer, _check_pricing, _check_stock]


def _outcomes_record(order: Order, actor) -> list[CheckOutcome]:
    outcomes = [check(order, actor) for check in CHECKS]
    OrderCheck.objects.bulk_create(
        [OrderCheck(order=order, name=o.name, result=o.result, detail=o.detail) for o in outcomes]
    )
    return outcomes


@transaction.atomic
def order_verify_automatically(*, order: Order, actor=None) -> Order:
    """Run every check, store each result, and move the order to verified, backordered or on_hold.

    Locks: the order, and the stock levels of its products. Raises nothing for a failed check:
    the order goes on hold with the reasons in the event's data.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    outcomes = _outcomes_record(order, actor)
    failed = [o for o in outcomes if o.result == OrderCheck.Result.FAILED]
    if failed:
        transition = "hold"
    elif any(o.backorder for o in outcomes):
        transition = "backorder"
    else:
        transition = "verify"
    reasons = [f"{o.name}: {o.detail}" for o in failed] or [o.detail for o in outcomes if o.backorder]
    return transition_run(
        model=Order,
        pk=order.pk,
        transition=transition,
        actor=actor,
        system="verification",
        check_permission=False,
        note="; ".join(reasons),
        data={"reasons": reasons},
    )


@transaction.atomic
def order_release(*, order: Order, actor, note: str = "", expected_status: str | None = None) -> Order:
    """Staff confirm a held or back-ordered order: allocate what can be, then verify it.

    Refused while stock is still short (the order stays where it is).
    Locks: the order and its products' stock levels. Raises TransitionRefused, ApplicationError.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if expected_status is not None and order.status != expected_status:
        return transition_run(
            model=Order, pk=order.pk, transition="verify", actor=actor, expected_status=expected_status
        )
    if order.status in (Order.Status.ON_HOLD, Order.Status.BACKORDERED, Order.Status.PLACED):
        allocation = stock_allocate_order(order=order, actor=actor)
        if not allocation.complete:
            short = sum(allocation.short_by_line.values())
            raise ApplicationError(
                f"Order {order.number} is still short of {short} unit(s); it cannot be released yet."
            )
    return transition_run(model=Order, pk=order.pk, transition="verify", actor=actor, note=note)


@transaction.atomic
def order_reverify(*, order: Order, actor=None) -> Order:
    """Run every check again on a held order (after staff fixed the address, say).

    All pass: the order is verified (or back-ordered); a check still fails: it stays on hold and
    the new results are recorded in an event. Locks the order and its stock levels.
    Raises TransitionRefused when the order is not on hold.
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status != Order.Status.ON_HOLD:
        raise TransitionRefused(f"Order {order.number} is not on hold; there is nothing to re-check.")
    outcomes = _outcomes_record(order, actor)
    failed = [o for o in outcomes if o.result == OrderCheck.Result.FAILED]
    if failed:
        reasons = [f"{o.name}: {o.detail}" for o in failed]
        event_note(
            order=order, kind="order.recheck_failed", actor=actor, note="; ".join(reasons), data={"reasons": reasons}
        )
        return order
    if any(o.backorder for o in outcomes):
        reasons = [o.detail for o in outcomes if o.backorder]
        return transition_run(
            model=Order,
            pk=order.pk,
            transition="backorder",
            actor=actor,
            check_permission=False,
            note="; ".join(reasons),
            data={"reasons": reasons},
        )
    return transition_run(model=Order, pk=order.pk, transition="verify", actor=actor, note="Re-checked: all passed")
