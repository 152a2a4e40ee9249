"""Locking, checking and applying one django-fsm transition: the core every state change shares.

Callers add the record of the change in the same transaction: the order timeline
(orders.services.transitions.transition_run) or a purchase order's own events.
"""

from django.db import models, transaction
from django_fsm import can_proceed, has_transition_perm

from .exceptions import PermissionRefused, TransitionRefused
from .locks import transition_row_lock

LABELS = {
    "start_fulfillment": "start fulfilment",
    "ship_partially": "mark partially shipped",
    "mark_in_transit": "mark in transit",
    "fail_delivery": "record a failed delivery",
    "return_to_sender": "return to sender",
    "record_partial_payment": "record a partial payment",
    "receive_partially": "receive part of",
    "receive_fully": "receive",
}


def transition_label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def transition_apply(
    *,
    model: type[models.Model],
    pk: int,
    transition: str,
    actor=None,
    expected_status: str | None = None,
    check_permission: bool = True,
    fields: dict | None = None,
    locked: models.Model | None = None,
    save: bool = True,
) -> tuple[models.Model, str]:
    """Lock the row, check, change state and save. Returns (the saved instance, the state it left).

    `expected_status` is the state the person saw: if the row moved on since, the change is
    refused, so two people pressing the same button at once cannot both succeed. Permission is
    checked for `actor` unless `check_permission=False` (a consequence of a permitted change).
    `fields` are set together with the new state. `locked` is the row when this transaction holds
    its lock already (it inserted the row, or locked it with the row's lock helper): it is used as
    it is instead of being read again. Must run inside the caller's transaction.
    With `save=False` the change is made on the instance only, and the columns it changed are kept
    on it: the next transition_apply on that same instance writes both changes in one UPDATE
    (placement: draft -> placed -> verified). Raises TransitionRefused / PermissionRefused before
    writing anything.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transition_apply must run inside a transaction")
    instance = locked if locked is not None else transition_row_lock(model=model, pk=pk)
    method = getattr(instance, transition, None)
    if method is None or not hasattr(method, "_django_fsm"):
        raise TransitionRefused(f"Unknown action “{transition}”.")
    what = f"{instance._meta.verbose_name} {instance}"
    if expected_status is not None and instance.status != expected_status:
        raise TransitionRefused(
            f"{what[0].upper()}{what[1:]} changed to “{instance.get_status_display()}” since you opened it; "
            "nothing was done. Reload and try again."
        )
    if not can_proceed(method):
        raise TransitionRefused(
            f"Cannot {transition_label(transition)} {what} while it is “{instance.get_status_display()}”."
        )
    if check_permission and actor is not None and not has_transition_perm(method, actor):
        raise PermissionRefused(f"You are not allowed to {transition_label(transition)} {what}.")
    from_state = instance.status
    before = _values(instance)
    method()
    for name, value in (fields or {}).items():
        setattr(instance, name, value)
    changed = set(_changed(instance, before)) | getattr(instance, UNSAVED_COLUMNS, set())
    if save:
        instance.save(update_fields=sorted(changed))
        setattr(instance, UNSAVED_COLUMNS, set())
    else:
        setattr(instance, UNSAVED_COLUMNS, changed)
    return instance, from_state


# The columns a transition applied with save=False changed on an instance, written by the next save.
UNSAVED_COLUMNS = "_transition_unsaved_columns"


def _values(instance: models.Model) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def _changed(instance: models.Model, before: dict) -> list[str]:
    """The columns the transition and its `fields` changed, with the `auto_now` ones: the UPDATE
    writes those only (the row is locked and read in this transaction, so the rest is as stored)."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key
        and (getattr(field, "auto_now", False) or getattr(instance, field.attname) != before[field.attname])
    ]


def transitions_available(*, instance, user) -> list[str]:
    """Names of the transitions this person may press now (for the admin buttons)."""
    names = []
    for field in instance._meta.concrete_fields:
        getter = getattr(instance, f"get_available_user_{field.name}_transitions", None)
        if getter is not None:
            names.extend(t.name for t in getter(user))
    return names
