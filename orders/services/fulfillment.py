"""From a verified order to parcels delivered: shipments, dispatch (stock leaves), delivery."""

from collections import defaultdict

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inventory.locks import stock_levels_lock_by_id
from inventory.models import StockAllocation, Warehouse
from inventory.services import stock_dispatch
from orders_site.core.exceptions import ApplicationError, TransitionRefused
from orders_site.core.formatting import money_display
from orders_site.core.tasks import task_send_on_commit

from ..dispatch import dispatch_by_for
from ..locks import order_lock, shipment_lock
from ..models import Carrier, Customer, EmailNotification, Order, Shipment, ShipmentLine
from .notifications import notification_queue
from .packing import shipment_pack_check
from .transitions import transition_run
from .work_items import work_items_create

DISPATCHED = {
    Shipment.Status.SHIPPED,
    Shipment.Status.IN_TRANSIT,
    Shipment.Status.DELIVERED,
    Shipment.Status.DELIVERY_FAILED,
    Shipment.Status.RETURNED_TO_SENDER,
}


# Invoicing at order and capturing at release happen in invoicing: the task is lifecycle's.
RELEASED_TASK = "lifecycle.tasks.order_released_task"


def waits_for_payment(order: Order) -> bool:
    """A prepaid customer's bank-transfer order waits for the money before the warehouse gets it
    (BANK_TRANSFER_BEFORE_RELEASE); invoicing records the payment and keeps the standing."""
    return (
        settings.BANK_TRANSFER_BEFORE_RELEASE
        and order.payment_method == Order.PaymentMethod.BANK_TRANSFER
        and order.customer.payment_terms == Customer.PaymentTerms.PREPAID
        and order.payment_standing != Order.PaymentStanding.PAID
    )


def release_payment_check(*, order: Order) -> None:
    """Refuse to release an order that waits for its bank transfer. Raises TransitionRefused."""
    if waits_for_payment(order):
        raise TransitionRefused(
            f"Order {order.number} waits for its bank transfer of {money_display(order.total, order.currency)}: "
            "record the payment first (“Record payment before release”), then send it to the warehouse."
        )


def invoiced_at_order(order: Order) -> bool:
    """The invoicing policy: is this order invoiced as it goes to the warehouse (rather than at
    delivery)? The customer's own choice, else the shop's per payment method
    (INVOICE_AT_ORDER_PAYMENT_METHODS). Cash on delivery is paid, so invoiced, at the door."""
    if order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY:
        return False
    choice = order.customer.invoicing
    if choice:
        return choice == Customer.Invoicing.AT_ORDER
    return order.payment_method in settings.INVOICE_AT_ORDER_PAYMENT_METHODS


def order_released_follow_up(*, order: Order) -> None:
    """What follows an order's release to the warehouse, after commit (lifecycle's task): its
    invoice when it is invoiced at order, and the capture of what was authorised at checkout when
    the shop captures at release (CARD_CAPTURE_AT=release)."""
    if settings.CARD_CAPTURE_AT == "release" or invoiced_at_order(order):
        task_send_on_commit(RELEASED_TASK, order.pk)


@transaction.atomic
def order_fulfillment_start(*, order: Order, actor=None, expected_status: str | None = None) -> Order:
    """Send a verified order to the warehouse: one shipment per warehouse its stock comes from.

    Service lines (assembly, engraving...) travel with the first shipment. Locks: the order (transition
    core, orders_site.core.locks.transition_row_lock).
    Raises TransitionRefused.
    """
    locked = order_lock(order_id=order.pk)
    release_payment_check(order=locked)
    order = transition_run(
        model=Order,
        pk=order.pk,
        transition="start_fulfillment",
        actor=actor,
        expected_status=expected_status,
        locked=locked,
    )
    order_released_follow_up(order=order)
    allocations = (
        StockAllocation.objects.filter(order_line__order=order)
        .select_related("stock_level__warehouse", "order_line")
        .order_by("stock_level__warehouse__priority", "pk")
    )
    by_warehouse = defaultdict(list)
    for allocation in allocations:
        if allocation.open_quantity > 0:
            by_warehouse[allocation.stock_level.warehouse].append(allocation)
    if not by_warehouse:
        first = Warehouse.objects.filter(is_active=True).first()
        if first is None:
            raise ApplicationError("There is no active warehouse to fulfil from.")
        by_warehouse[first] = []
    service_lines = [line for line in order.lines.all() if not line.allocations.exists()]
    dispatch_by = dispatch_by_for(order)
    for index, (warehouse, warehouse_allocations) in enumerate(by_warehouse.items(), start=1):
        shipment = Shipment.objects.create(
            order=order, number=f"{order.number}-{index}", warehouse=warehouse, dispatch_by=dispatch_by
        )
        ShipmentLine.objects.bulk_create(
            [
                ShipmentLine(shipment=shipment, order_line=a.order_line, allocation=a, quantity=a.open_quantity)
                for a in warehouse_allocations
            ]
            + (
                [ShipmentLine(shipment=shipment, order_line=line, quantity=line.quantity) for line in service_lines]
                if index == 1
                else []
            )
        )
    work_items_create(order=order)  # assembly, engraving, customisation: orders.services.work_items
    return order


def _shipment_step(transition: str):
    def run(*, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None) -> Shipment:
        return transition_run(
            model=Shipment,
            pk=shipment.pk,
            transition=transition,
            actor=actor,
            note=note,
            expected_status=expected_status,
        )

    run.__name__ = f"shipment_{transition}"
    run.__doc__ = (
        f"Warehouse step: {transition.replace('_', ' ')}. Locks the shipment (transition core). "
        "Raises TransitionRefused."
    )
    return run


shipment_start_picking = _shipment_step("start_picking")


@transaction.atomic
def shipment_pack(*, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None) -> Shipment:
    """The parcel is packed: only once every unit is confirmed at the packing table and every work
    item of its lines is done (orders.services.packing).

    Locks: the shipment (orders.locks.shipment_lock, the lock scans take). Raises ApplicationError
    (a line not confirmed, a work item open), TransitionRefused / PermissionRefused.
    """
    locked = shipment_lock(shipment_id=shipment.pk)
    if expected_status is None or locked.status == expected_status:
        # The refusal for a wrong state (the transition core's) comes first; completeness after.
        if locked.status == Shipment.Status.PICKING:
            shipment_pack_check(shipment_id=locked.pk)
    return transition_run(
        model=Shipment,
        pk=locked.pk,
        transition="pack",
        actor=actor,
        note=note,
        expected_status=expected_status,
        locked=locked,
    )


@transaction.atomic
def shipment_dispatch(
    *,
    shipment: Shipment,
    carrier: Carrier | str,
    tracking_number: str,
    service: str = "",
    tracking_url: str = "",
    actor=None,
    expected_status: str | None = None,
) -> Shipment:
    """Hand the parcel to the carrier: stock leaves `on_hand` now, the order becomes (partially) shipped.

    Carrier and tracking number are required unless the customer picks the order up. `carrier` is a
    Carrier record (the tracking URL is built from its template unless one is given; its name is kept
    as the shipment's snapshot) or, for a carrier not on record, its name.
    Locks: orders.locks.order_lock, then the shipment (transition core), then the stock levels it
    takes units from (inventory.locks.stock_levels_lock_by_id, pk order). Queues: the "shipped" e-mail.
    Raises: ApplicationError (missing carrier/tracking, a tracking number the carrier used already),
    TransitionRefused.
    """
    order = shipment.order
    carrier_record = carrier if isinstance(carrier, Carrier) else None
    if carrier_record is not None:
        if not carrier_record.is_active:
            raise ApplicationError(f"{carrier_record.name} is no longer in use.", extra={"field": "carrier"})
        carrier = carrier_record.name
        if not tracking_url.strip() and tracking_number.strip():
            tracking_url = carrier_record.tracking_url_for(tracking_number)
        # The webhook finds the parcel by the carrier's tracking number: one parcel per number.
        taken = Shipment.objects.filter(carrier_record=carrier_record, tracking_number=tracking_number.strip())
        if tracking_number.strip() and taken.exclude(pk=shipment.pk).exists():
            raise ApplicationError(
                f"{carrier_record.name} tracking number {tracking_number.strip()} is on another parcel already.",
                extra={"field": "tracking_number"},
            )
    if not order.delivery_method.is_pickup:
        if not carrier.strip():
            raise ApplicationError("Enter the carrier before dispatching.", extra={"field": "carrier"})
        if not tracking_number.strip():
            raise ApplicationError("Enter the tracking number before dispatching.", extra={"field": "tracking_number"})
    # The order first, then the parcel, as cancellation locks them: otherwise a cancel and a dispatch
    # at the same moment deadlock, and two parcels dispatched at once each see the other still packed
    # and leave the order "partially shipped" for good.
    order = order_lock(order_id=order.pk)
    now = timezone.now()
    shipment = transition_run(
        model=Shipment,
        pk=shipment.pk,
        transition="dispatch",
        actor=actor,
        expected_status=expected_status,
        fields={
            "carrier": carrier.strip() or "Pickup",
            "carrier_record": carrier_record,
            "service": service.strip(),
            "tracking_number": tracking_number.strip(),
            "tracking_url": tracking_url.strip(),
            "dispatched_at": now,
            "dispatched_late": None if shipment.dispatch_by is None else timezone.localdate(now) > shipment.dispatch_by,
        },
        data={"carrier": carrier, "tracking_number": tracking_number},
    )
    lines = [line for line in shipment.lines.select_related("allocation") if line.allocation is not None]
    # Every level the parcel takes stock from, now and in primary-key order: locking them line by
    # line would deadlock against a dispatch or an allocation taking the same levels in pk order.
    stock_levels_lock_by_id(stock_level_ids=[line.allocation.stock_level_id for line in lines])
    for line in lines:
        stock_dispatch(allocation=line.allocation, quantity=line.quantity, reference=order.number, actor=actor)
    statuses = set(order.shipments.exclude(status=Shipment.Status.CANCELLED).values_list("status", flat=True))
    # An order that shipped its available part ahead is not shipped until its back-ordered rest is.
    order_transition = "ship" if statuses <= DISPATCHED and not order.backorder_rest else "ship_partially"
    transition_run(
        model=Order,
        pk=order.pk,
        transition=order_transition,
        actor=actor,
        check_permission=False,
        data={"shipment": shipment.number},
    )
    notification_queue(order=order, kind=EmailNotification.Kind.ORDER_SHIPPED, subject_key=f"shipment:{shipment.pk}")
    return shipment


shipment_mark_in_transit = _shipment_step("mark_in_transit")
shipment_fail_delivery = _shipment_step("fail_delivery")
shipment_return_to_sender = _shipment_step("return_to_sender")


@transaction.atomic
def shipment_redispatch(
    *, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None
) -> Shipment:
    """Try delivering again after a failed attempt. Locks the shipment. Raises TransitionRefused."""
    return transition_run(
        model=Shipment, pk=shipment.pk, transition="redispatch", actor=actor, note=note, expected_status=expected_status
    )


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, actor=None, note: str = "", expected_status: str | None = None) -> Shipment:
    """Record delivery. When the order's last parcel arrives, the order is delivered (the invoice
    follows in lifecycle.delivery, which entry points call).

    Locks: orders.locks.order_lock, then the shipment (the same order as dispatch and cancel take them).
    Raises TransitionRefused.
    """
    order = order_lock(order_id=shipment.order_id)
    shipment = transition_run(
        model=Shipment,
        pk=shipment.pk,
        transition="deliver",
        actor=actor,
        note=note,
        expected_status=expected_status,
        fields={"delivered_at": timezone.now()},
    )
    order_deliver_when_all_arrived(order=order, actor=actor)
    return shipment


def order_deliver_when_all_arrived(*, order: Order, actor=None) -> Order:
    """A shipped order is delivered once none of its parcels is still on its way: each one arrived,
    was cancelled, or came back with its decision taken (its goods went out again in another
    parcel, or the customer is owed a refund for them). Call it holding the order's lock."""
    decided = order.shipments.filter(status=Shipment.Status.RETURNED_TO_SENDER, return_decided_at__isnull=False)
    open_shipments = order.shipments.exclude(status__in=[Shipment.Status.DELIVERED, Shipment.Status.CANCELLED]).exclude(
        pk__in=decided.values("pk")
    )
    if order.status == Order.Status.SHIPPED and not open_shipments.exists():
        return transition_run(model=Order, pk=order.pk, transition="deliver", actor=actor, check_permission=False)
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor=None, reason: str = "", expected_status: str | None = None) -> Order:
    """Cancel before dispatch: the order and its unsent parcels. Stock and payments follow in
    lifecycle.cancellation, which entry points call.

    Locks: the order, then its shipments in pk order (both through the transition core). Queues: the
    "cancelled" e-mail.
    Raises TransitionRefused / PermissionRefused.
    """
    order = transition_run(
        model=Order, pk=order.pk, transition="cancel", actor=actor, note=reason, expected_status=expected_status
    )
    for shipment in order.shipments.exclude(status=Shipment.Status.CANCELLED).order_by("pk"):
        transition_run(model=Shipment, pk=shipment.pk, transition="cancel", actor=actor, check_permission=False)
    notification_queue(order=order, kind=EmailNotification.Kind.ORDER_CANCELLED)
    return order
