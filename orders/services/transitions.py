"""The one function that runs every state change (CONVENTIONS rule 5)."""

from django.db import models, transaction
from django_fsm import can_proceed, has_transition_perm

from orders_site.core.exceptions import PermissionRefused, TransitionRefused

from ..events import event_transition

LABELS = {
    "start_fulfillment": "start fulfilment",
    "ship_partially": "mark partially shipped",
    "mark_in_transit": "mark in transit",
    "fail_delivery": "record a failed delivery",
    "return_to_sender": "return to sender",
    "record_partial_payment": "record a partial payment",
}


def transition_label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def _order_of(instance):
    return instance if instance._meta.label == "orders.Order" else instance.order


@transaction.atomic
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
):
    """Lock the row, check, change state, save, and write exactly one event on the order's timeline.

    `actor` is the person pressing the button (None for the system, then `system` names it).
    `expected_status` is the state the person saw; if the row moved on since, the change is
    refused, so two people pressing the same button at once cannot both succeed.
    `check_permission=False` is for consequences of a change already permitted (the order
    becoming shipped because its last shipment was dispatched).

    Locks: the object's row (select_for_update). Raises TransitionRefused / PermissionRefused
    before writing anything. `fields` are set on the row together with the new state (tracking
    number on dispatch, delivery time on delivery). Returns the saved, locked instance.
    """
    instance = model.objects.select_for_update().get(pk=pk)
    method = getattr(instance, transition, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise TransitionRefused(f"Unknown action “{transition}”.")
    what = f"{instance._meta.verbose_name} {instance}"
    if expected_status is not None and instance.status != expected_status:
        raise TransitionRefused(
            f"{what.capitalize()} changed to “{instance.get_status_display()}” since you opened it; "
            "nothing was done. Reload and try again."
        )
    if not can_proceed(method):
        raise TransitionRefused(
            f"Cannot {transition_label(transition)} {what} while it is “{instance.get_status_display()}”."
        )
    if check_permission and actor is not None and not has_transition_perm(method, actor):
        raise PermissionRefused(f"You are not allowed to {transition_label(transition)} {what}.")
    from_state = instance.status
    method()
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    instance.save()
    event_transition(
        order=_order_of(instance),
        obj=instance,
        transition=transition,
        from_state=from_state,
        to_state=instance.status,
        actor=actor,
        system=system,
        note=note,
        data=data,
    )
    return instance


def transitions_available(*, instance, user) -> list[str]:
    """Names of the transitions this person may press now (for the admin buttons)."""
    names = []
    for field in instance._meta.concrete_fields:
        getter = getattr(instance, f"get_available_user_{field.name}_transitions", None)
        if getter is not None:
            names.extend(t.name for t in getter(user))
    return names
