"""Work items: the workshop's part of fulfilment (assembly, engraving, customisation). A line that
needs work gets one work item when fulfilment starts; its parcel cannot be packed until it is done.
Starting and finishing run through the transition core, so each writes one event on the order's
timeline; assigning writes a note."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from ..events import event_work_item_assigned
from ..models import Order, ShipmentLine, WorkItem
from .transitions import transition_run

SERVICE_KIND = "service"


def line_needs_work(order_line) -> bool:
    """A service line (assembly, engraving...) or a product the customer asked to customise."""
    return order_line.kind == SERVICE_KIND or bool(order_line.customisation_notes.strip())


def work_items_create(*, order: Order) -> list[WorkItem]:
    """One work item (to do) for each shipment line of the order that needs work and has none yet.

    Called by order_fulfillment_start inside its transaction, after it made the shipments (the
    order is locked by it). Writes no event: the work items are part of "Fulfilment started".
    """
    lines = (
        ShipmentLine.objects.filter(shipment__order=order, work_item__isnull=True)
        .select_related("order_line")
        .order_by("pk")
    )
    items = [
        WorkItem(
            order=order,
            shipment_line=line,
            order_line=line.order_line,
            kind=line.order_line.name,
            description=line.order_line.customisation_notes.strip(),
        )
        for line in lines
        if line_needs_work(line.order_line)
    ]
    return WorkItem.objects.bulk_create(items)


@transaction.atomic
def work_item_start(*, work_item: WorkItem, actor=None, expected_status: str | None = None) -> WorkItem:
    """Someone starts the work (and is assigned it when nobody is). Locks the work item (transition
    core). Raises TransitionRefused / PermissionRefused."""
    fields = {"started_at": timezone.now()}
    if work_item.assignee_id is None and actor is not None:
        fields["assignee"] = actor
    return transition_run(
        model=WorkItem,
        pk=work_item.pk,
        transition="start",
        actor=actor,
        expected_status=expected_status,
        fields=fields,
        data={"work_item": work_item.pk, "work": work_item.kind},
    )


@transaction.atomic
def work_item_finish(*, work_item: WorkItem, actor=None, expected_status: str | None = None) -> WorkItem:
    """The work is done: the line may now be packed. Locks the work item (transition core). Raises
    TransitionRefused / PermissionRefused."""
    return transition_run(
        model=WorkItem,
        pk=work_item.pk,
        transition="finish",
        actor=actor,
        expected_status=expected_status,
        fields={"finished_at": timezone.now()},
        data={"work_item": work_item.pk, "work": work_item.kind},
    )


@transaction.atomic
def work_item_assign(*, work_item: WorkItem, assignee, actor=None) -> WorkItem:
    """Give an open work item to a staff member who may fulfil orders (None: to nobody). Locks the work
    item. Writes one note on the order's timeline. Raises ApplicationError (done already, or the
    person cannot do warehouse work)."""
    locked = WorkItem.objects.select_for_update(of=("self",)).get(pk=work_item.pk)
    if locked.status == WorkItem.Status.DONE:
        raise ApplicationError(f"“{locked.kind}” is done already: there is nothing to assign.")
    if assignee is not None:
        user = get_user_model().objects.get(pk=assignee.pk)
        if not (user.is_active and user.is_staff and user.has_perm("orders.fulfil_order")):
            raise ApplicationError(
                f"{user.get_username()} cannot do warehouse work: choose someone in the Warehouse group.",
                extra={"field": "assignee"},
            )
    if locked.assignee_id == (assignee.pk if assignee is not None else None):
        return locked
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    event_work_item_assigned(work_item=locked, assignee=assignee, actor=actor)
    return locked
