"""The one function that runs every state change of an order and its shipments, invoices and
payments (CONVENTIONS rule 5): the shared core applies it, this writes it on the order's timeline."""

from contextlib import nullcontext

from django.db import models, transaction

from orders_site.core.transitions import transition_apply, transition_label, transitions_available

from ..events import event_transition, transition_kind
from ..models import OrderEvent
from ..webhook_events import order_events_announce


def _order_of(instance):
    return instance if instance._meta.label == "orders.Order" else instance.order


def transition_run(
    *,
    model: type[models.Model],
    pk: int,
    transition: str,
    actor=None,
    system: str = "",
    note: str = "",
    data: dict | None = None,
    expected_status: str | None = None,
    check_permission: bool = True,
    fields: dict | None = None,
    locked: models.Model | None = None,
    save: bool = True,
):
    """Lock the row, check, change state, save, and write exactly one event on the order's timeline
    (and, for the kinds other systems subscribe to, its webhook deliveries: orders.webhook_events).

    `actor` is the person pressing the button (None for the system, then `system` names it).
    `expected_status` is the state the person saw; if the row moved on since, the change is
    refused, so two people pressing the same button at once cannot both succeed.
    `check_permission=False` is for consequences of a change already permitted (the order
    becoming shipped because its last shipment was dispatched).

    Locks: the object's row (orders_site.core.locks.transition_row_lock). Raises TransitionRefused / PermissionRefused
    before writing anything. `fields` are set on the row together with the new state (tracking
    number on dispatch, delivery time on delivery). `locked`: the row itself when this transaction
    holds its lock already (placement, which just inserted the order), so it is not read again.
    Inside the caller's transaction it takes no savepoint of its own: every refusal comes before
    the first write, so the caller may catch it and go on. Returns the saved, locked instance.

    `save=False` (with `locked`, inside the caller's transaction) makes the change on the instance
    only and keeps its event unsaved on it: the next transition_run on the same instance writes
    both changes in one UPDATE and both events in one INSERT. Placement places and verifies an
    order that way (19 statements instead of 21); nothing between reads the order's row.
    """
    if not save and (locked is None or not transaction.get_connection().in_atomic_block):
        raise RuntimeError("transition_run(save=False) needs the locked instance inside a transaction")
    if hasattr(getattr(model, transition, None), "_django_fsm"):  # a missing kind: LookupError before writing
        transition_kind(object_type=model._meta.model_name, transition=transition)
    with nullcontext() if transaction.get_connection().in_atomic_block else transaction.atomic():
        return _transition_run(
            model=model,
            pk=pk,
            transition=transition,
            actor=actor,
            system=system,
            note=note,
            data=data,
            expected_status=expected_status,
            check_permission=check_permission,
            fields=fields,
            locked=locked,
            save=save,
        )


# Events of transitions applied with save=False, written with the next transition's event.
_UNSAVED_EVENTS = "_transition_unsaved_events"


def _transition_run(
    *, model, pk, transition, actor, system, note, data, expected_status, check_permission, fields, locked, save
):
    instance, from_state = transition_apply(
        model=model,
        pk=pk,
        transition=transition,
        actor=actor,
        expected_status=expected_status,
        check_permission=check_permission,
        fields=fields,
        locked=locked,
        save=save,
    )
    event = event_transition(
        order=_order_of(instance),
        obj=instance,
        transition=transition,
        from_state=from_state,
        to_state=instance.status,
        actor=actor,
        system=system,
        note=note,
        data=data,
        save=False,
    )
    unsaved = [*getattr(instance, _UNSAVED_EVENTS, []), event]
    if save:
        if len(unsaved) > 1:
            OrderEvent.objects.bulk_create(unsaved)
        else:
            event.save()
        order_events_announce(unsaved, instance)
        setattr(instance, _UNSAVED_EVENTS, [])
    else:
        setattr(instance, _UNSAVED_EVENTS, unsaved)
    return instance


__all__ = ["transition_label", "transition_run", "transitions_available"]
