"""The row locks of the shared core, named. The one lock order of the code base is stated in
orders/locks.py; these two are generic, so their place depends on the row they lock."""

from django.db import models

from .models import Sequence


def transition_row_lock(*, model: type[models.Model], pk: int) -> models.Model:
    """Lock the row whose state changes (the transition core's one lock). Its place in the lock
    order is that of the row: an order (step 2), a shipment, invoice or payment of an order (step 3,
    after the order when the caller holds both), a purchase order (step 1)."""
    return model.objects.select_for_update(of=("self",)).get(pk=pk)


def sequence_lock(*, name: str) -> Sequence:
    """Lock a named counter row (step 5, the last lock a service takes): held until commit, it
    serialises every caller, and a rollback gives the number back."""
    return Sequence.objects.select_for_update(of=("self",)).get(name=name)
