"""Purchase orders: draft -> sent -> partially received -> received (or cancelled).

Every state change goes through `purchase_order_transition_run`, which writes exactly one
PurchaseOrderEvent in the transaction that made it. Receipts add stock through the ledger.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import has_transition_perm

from orders_site.core.exceptions import ApplicationError, PermissionRefused, TransitionRefused
from orders_site.core.models import actor_label
from orders_site.core.sequences import sequence_next
from orders_site.core.transitions import transition_apply

from ..locks import purchase_order_lock
from ..models import (
    BinLocation,
    Product,
    PurchaseOrder,
    PurchaseOrderEvent,
    PurchaseOrderLine,
    StockMovement,
    Supplier,
    Warehouse,
)
from ..selectors import replenishment_suggestions
from .ledger import BackorderOutcome, ReceiptLine, ReceiptResult, movement_quantity_check, receipt_check, stock_in


@dataclass(frozen=True)
class PurchaseLineRequest:
    product: Product
    quantity: int
    unit_cost: Decimal | None = None


Kind = PurchaseOrderEvent.Kind
# transition -> the kind of event it writes; one entry per django-fsm transition of PurchaseOrder.
TRANSITION_KINDS: dict[str, PurchaseOrderEvent.Kind] = {
    "send": Kind.SEND,
    "receive_partially": Kind.RECEIVE_PARTIALLY,
    "receive_fully": Kind.RECEIVE_FULLY,
    "close": Kind.CLOSE,
    "cancel": Kind.CANCEL,
}


def _event(
    *,
    purchase_order,
    kind: PurchaseOrderEvent.Kind,
    actor=None,
    system="",
    note="",
    data=None,
    from_state="",
    to_state="",
):
    return PurchaseOrderEvent.objects.create(
        purchase_order=purchase_order,
        kind=kind,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_label=actor_label(actor, system),
        note=note,
        data=data or {},
    )


@transaction.atomic
def purchase_order_transition_run(
    *,
    purchase_order: PurchaseOrder,
    transition: str,
    actor=None,
    system: str = "",
    note: str = "",
    data: dict | None = None,
    expected_status: str | None = None,
    check_permission: bool = True,
    fields: dict | None = None,
) -> PurchaseOrder:
    """Lock the purchase order, check, change state, save, and write exactly one event.

    `expected_status` is the state the person saw: if the row moved on since, the change is
    refused (two people pressing the same button). Locks the purchase order row.
    Raises TransitionRefused / PermissionRefused before writing anything.
    """
    instance, from_state = transition_apply(
        model=PurchaseOrder,
        pk=purchase_order.pk,
        transition=transition,
        actor=actor,
        expected_status=expected_status,
        check_permission=check_permission,
        fields=fields,
    )
    _event(
        purchase_order=instance,
        kind=TRANSITION_KINDS[transition],  # a transition without its kind is a bug: KeyError, rolled back
        from_state=from_state,
        to_state=instance.status,
        actor=actor,
        system=system,
        note=note,
        data=data,
    )
    return instance


def _number_next() -> str:
    return f"PO-{sequence_next(name='purchase_order'):06d}"


@transaction.atomic
def purchase_order_create(
    *,
    supplier: Supplier,
    warehouse: Warehouse,
    lines: list[PurchaseLineRequest],
    expected_on: date | None = None,
    note: str = "",
    actor=None,
) -> PurchaseOrder:
    """A draft purchase order with its lines (one per product). Locks the purchase order number
    counter. Raises ApplicationError (no lines, a quantity below 1 or above
    STOCK_MOVEMENT_MAX_QUANTITY, a product twice, a service)."""
    if not lines:
        raise ApplicationError("A purchase order needs at least one line.")
    seen = set()
    for line in lines:
        if line.quantity <= 0:
            raise ApplicationError(f"Order at least 1 of {line.product.sku}.")
        movement_quantity_check(sku=line.product.sku, quantity=line.quantity)
        if not line.product.tracks_stock:
            raise ApplicationError(f"{line.product.sku} is a service; it cannot be purchased into stock.")
        if line.product.pk in seen:
            raise ApplicationError(f"{line.product.sku} appears twice; put it on one line.")
        seen.add(line.product.pk)
    purchase_order = PurchaseOrder.objects.create(
        number=_number_next(),
        supplier=supplier,
        warehouse=warehouse,
        expected_on=expected_on,
        note=note.strip(),
        created_by=actor,
    )
    PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                purchase_order=purchase_order,
                product=line.product,
                quantity_ordered=line.quantity,
                unit_cost=line.unit_cost,
            )
            for line in lines
        ]
    )
    _event(
        purchase_order=purchase_order,
        kind=Kind.CREATED,
        to_state=purchase_order.status,
        actor=actor,
        data={"lines": {line.product.sku: line.quantity for line in lines}},
    )
    return purchase_order


@transaction.atomic
def purchase_order_draft_save(*, purchase_order: PurchaseOrder, actor=None) -> PurchaseOrder:
    """Save a purchase order entered in the admin. A new one gets its number and a "created" event;
    an existing one may only change while it is a draft. Locks the row (or the number counter).
    Raises TransitionRefused when it is no longer a draft."""
    if purchase_order.pk is None:
        purchase_order.number = _number_next()
        purchase_order.created_by = purchase_order.created_by or actor
        purchase_order.save()
        _event(purchase_order=purchase_order, kind=Kind.CREATED, to_state=purchase_order.status, actor=actor)
        return purchase_order
    current = purchase_order_lock(purchase_order_id=purchase_order.pk)
    if current.status != PurchaseOrder.Status.DRAFT:
        raise TransitionRefused(f"Purchase order {current} was sent; it can no longer be changed.")
    purchase_order.save(update_fields=["supplier", "warehouse", "expected_on", "note", "updated_at"])
    return purchase_order


@transaction.atomic
def purchase_order_send(
    *, purchase_order: PurchaseOrder, actor=None, note: str = "", expected_status: str | None = None
) -> PurchaseOrder:
    """Mark the draft as sent to the supplier. Locks the purchase order.
    Raises ApplicationError (no lines), TransitionRefused, PermissionRefused."""
    if not purchase_order.lines.exists():
        raise ApplicationError(f"Purchase order {purchase_order} has no lines; add what to order first.")
    return purchase_order_transition_run(
        purchase_order=purchase_order,
        transition="send",
        actor=actor,
        note=note,
        expected_status=expected_status,
        fields={"sent_at": timezone.now()},
    )


@transaction.atomic
def purchase_order_receive(
    *,
    purchase_order: PurchaseOrder,
    quantities: dict[int, int],
    actor=None,
    note: str = "",
    bin_location: BinLocation | None = None,
    expected_status: str | None = None,
    then: Callable[[], BackorderOutcome] | None = None,
    confirmed: bool = False,
) -> ReceiptResult:
    """Record goods delivered against a sent purchase order: `quantities` maps line ids to units.

    The units go into the purchase order's warehouse through the ledger (reference: the PO number),
    `then` runs (lifecycle.receiving gives them to waiting back-orders there, and what it did goes
    on the purchase order's event); the order becomes partially received or received.
    `confirmed`: the person checked a line above STOCK_RECEIPT_CONFIRM_ABOVE units.
    Locks: the purchase order, then stock levels. Raises ApplicationError (a quantity below 0 or
    above what is outstanding, nothing received), LargeReceiptUnconfirmed, TransitionRefused,
    PermissionRefused.
    """
    locked = purchase_order_lock(purchase_order_id=purchase_order.pk)
    if expected_status is not None and locked.status != expected_status:
        raise TransitionRefused(
            f"Purchase order {locked} changed to “{locked.get_status_display()}” since you opened it; "
            "nothing was done. Reload and try again."
        )
    if locked.status not in PurchaseOrder.OPEN:
        raise TransitionRefused(f"Cannot receive purchase order {locked} while it is “{locked.get_status_display()}”.")
    if actor is not None and not has_transition_perm(locked.receive_partially, actor):
        raise PermissionRefused(f"You are not allowed to receive purchase order {locked}.")
    lines = {line.pk: line for line in locked.lines.select_related("product")}
    receipts = []
    for line_id, quantity in quantities.items():
        line = lines.get(int(line_id))
        if line is None:
            raise ApplicationError(f"Line {line_id} is not on purchase order {locked}.")
        if quantity < 0 or quantity > line.outstanding:
            raise ApplicationError(
                f"{line.product.sku}: receive between 0 and {line.outstanding} (still outstanding), not {quantity}.",
                extra={"field": f"line_{line.pk}"},
            )
        if quantity:
            receipts.append((line, quantity))
    if not receipts:
        raise ApplicationError("Enter how many units of at least one line arrived.")
    receipt_lines = [
        ReceiptLine(product=line.product, warehouse=locked.warehouse, quantity=qty, bin_location=bin_location)
        for line, qty in receipts
    ]
    receipt_check(receipt_lines, confirmed=confirmed)
    result = stock_in(
        lines=receipt_lines,
        kind=StockMovement.Kind.RECEIPT,
        reference=locked.number,
        actor=actor,
        then=then,
    )
    for line, quantity in receipts:
        PurchaseOrderLine.objects.filter(pk=line.pk).update(quantity_received=F("quantity_received") + quantity)
        line.quantity_received += quantity
    complete = all(line.outstanding == 0 for line in lines.values())
    purchase_order_transition_run(
        purchase_order=locked,
        transition="receive_fully" if complete else "receive_partially",
        actor=actor,
        check_permission=False,
        note=note,
        fields={"received_at": timezone.now()} if complete else None,
        data={
            "received": {line.product.sku: qty for line, qty in receipts},
            "backorders_completed": result.backorders_completed,
            "backorders_partly_filled": result.backorders_partly_filled,
        },
    )
    return result


@transaction.atomic
def purchase_order_close(
    *, purchase_order: PurchaseOrder, actor=None, note: str = "", expected_status: str | None = None
) -> PurchaseOrder:
    """The supplier will not deliver the rest: a partially received order becomes received.
    Locks the purchase order. Raises TransitionRefused, PermissionRefused."""
    outstanding = {
        line.product.sku: line.outstanding
        for line in purchase_order.lines.select_related("product")
        if line.outstanding
    }
    return purchase_order_transition_run(
        purchase_order=purchase_order,
        transition="close",
        actor=actor,
        note=note,
        expected_status=expected_status,
        fields={"received_at": timezone.now()},
        data={"not_delivered": outstanding},
    )


@transaction.atomic
def purchase_order_cancel(
    *, purchase_order: PurchaseOrder, actor=None, note: str = "", expected_status: str | None = None
) -> PurchaseOrder:
    """Cancel a draft or sent purchase order before anything arrived. Locks the purchase order.
    Raises TransitionRefused, PermissionRefused."""
    return purchase_order_transition_run(
        purchase_order=purchase_order, transition="cancel", actor=actor, note=note, expected_status=expected_status
    )


@transaction.atomic
def purchase_orders_draft_from_suggestions(
    *, supplier: Supplier, stock_level_ids: list[int], backordered_units: dict[int, int], actor=None
) -> list[PurchaseOrder]:
    """One draft purchase order per warehouse with the suggested quantities of these stock levels.

    Levels with nothing to suggest are skipped. Locks the purchase order number counter.
    Raises ApplicationError when nothing is left to order.
    """
    suggestions = [
        s
        for s in replenishment_suggestions(
            stock_level_ids=stock_level_ids, backordered_units=backordered_units, low_only=False
        )
        if s.suggested_quantity
    ]
    if not suggestions:
        raise ApplicationError("None of the chosen stock levels needs replenishing.")
    by_warehouse: dict[Warehouse, list] = {}
    for suggestion in suggestions:
        by_warehouse.setdefault(suggestion.level.warehouse, []).append(suggestion)
    created = []
    for warehouse, items in sorted(by_warehouse.items(), key=lambda kv: kv[0].code):
        created.append(
            purchase_order_create(
                supplier=supplier,
                warehouse=warehouse,
                lines=[PurchaseLineRequest(product=s.level.product, quantity=s.suggested_quantity) for s in items],
                note="Drafted from replenishment suggestions",
                actor=actor,
            )
        )
    return created
