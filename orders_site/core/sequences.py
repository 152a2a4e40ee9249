from django.db import transaction

from .locks import sequence_lock
from .models import Sequence


def sequence_next(*, name: str) -> int:
    """Return the next value of the named counter.

    Locks the counter row (orders_site.core.locks.sequence_lock) until the caller's transaction
    ends, so that a rollback gives the number back and two callers never get the same one (the
    gapless invoice number rests on it).
    Must be called inside a transaction.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("sequence_next must run inside a transaction")
    Sequence.objects.get_or_create(name=name)
    counter = sequence_lock(name=name)
    counter.last_value += 1
    counter.save(update_fields=["last_value"])
    return counter.last_value
