"""Dispatch a batch of packed parcels with one carrier, a tracking number each: all or nothing.

All or nothing because the batch is one hand-over: the warehouse labels the parcels, the van takes
them together, and the page comes back with the refusals beside their parcels' fields. A batch half
dispatched would leave staff to work out which labels were used (and the customers of the other
half told nothing). The batch is small (a van load), so one transaction is short.
"""

from dataclasses import dataclass

from django.db import transaction

from inventory.locks import stock_levels_lock_by_id
from orders_site.core.exceptions import ApplicationError

from ..locks import order_lock
from ..models import Carrier, Shipment
from .fulfillment import shipment_dispatch

MAX_BATCH = 200


class BatchRefused(ApplicationError):
    """Some parcels of the batch cannot go: `problems` maps a shipment pk to what is wrong with it."""

    def __init__(self, problems: dict[int, str]) -> None:
        super().__init__(
            f"Nothing was dispatched: {len(problems)} parcel(s) need attention.", extra={"problems": problems}
        )
        self.problems = problems


@dataclass(frozen=True)
class ParcelDispatch:
    shipment: Shipment
    tracking_number: str


@transaction.atomic
def shipments_dispatch_batch(
    *, parcels: list[ParcelDispatch], carrier: Carrier, service: str = "", actor=None
) -> list[Shipment]:
    """Dispatch every parcel (shipment_dispatch: stock leaves, the order ships, the customer is
    told), each with its tracking number and `carrier`'s tracking link, or none of them.

    Locks: every parcel's order (orders.locks.order_lock, pk order), the parcels (pk order), then
    every stock level the batch takes units from (pk order), before the first dispatch: the whole
    batch's locks in the one global order (orders.locks), so two batches cannot deadlock.
    Raises BatchRefused (empty or duplicate tracking numbers, numbers the carrier used already,
    parcels not packed: every problem at once) before writing; ApplicationError (no parcels, an
    inactive carrier).
    """
    if not parcels:
        raise ApplicationError("Choose at least one packed parcel.")
    if len(parcels) > MAX_BATCH:
        raise ApplicationError(f"At most {MAX_BATCH} parcels in one batch.")
    if not carrier.is_active:
        raise ApplicationError(f"{carrier.name} is no longer in use.", extra={"field": "carrier"})
    problems: dict[int, str] = {}
    numbers = [parcel.tracking_number.strip() for parcel in parcels]
    used = set(
        Shipment.objects.filter(carrier_record=carrier, tracking_number__in=[n for n in numbers if n]).values_list(
            "tracking_number", flat=True
        )
    )
    for parcel, number in zip(parcels, numbers, strict=True):
        pk = parcel.shipment.pk
        if not number:
            problems[pk] = "Enter the tracking number."
        elif numbers.count(number) > 1:
            problems[pk] = f"Tracking number {number} is given to more than one parcel of this batch."
        elif number in used:
            problems[pk] = f"{carrier.name} tracking number {number} is on another parcel already."
    for order_id in sorted({parcel.shipment.order_id for parcel in parcels}):
        order_lock(order_id=order_id)
    locked = Shipment.objects.select_for_update(of=("self",)).filter(pk__in=[p.shipment.pk for p in parcels])
    shipments = {s.pk: s for s in locked.order_by("pk")}
    for parcel in parcels:
        shipment = shipments[parcel.shipment.pk]
        if shipment.status != Shipment.Status.PACKED and shipment.pk not in problems:
            problems[shipment.pk] = f"Parcel {shipment.number} is {shipment.get_status_display().lower()}, not packed."
    if problems:
        raise BatchRefused(problems)
    stock_levels_lock_by_id(
        stock_level_ids=[
            allocation_level
            for shipment in shipments.values()
            for allocation_level in shipment.lines.exclude(allocation=None).values_list(
                "allocation__stock_level_id", flat=True
            )
        ]
    )
    dispatched = []
    for parcel, number in sorted(zip(parcels, numbers, strict=True), key=lambda item: item[0].shipment.pk):
        try:
            dispatched.append(
                shipment_dispatch(
                    shipment=shipments[parcel.shipment.pk],
                    carrier=carrier,
                    service=service,
                    tracking_number=number,
                    actor=actor,
                    expected_status=Shipment.Status.PACKED,
                )
            )
        except ApplicationError as error:
            # A refusal comes before that parcel's first write, but earlier parcels of the batch
            # are written: raising rolls the whole batch back.
            raise BatchRefused({parcel.shipment.pk: error.message}) from error
    return dispatched
