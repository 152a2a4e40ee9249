"""Idempotency-Key on POSTs, as Stripe does: the first request with a key runs and its answer is
stored; the same key with the same body gets that answer again (without running again), with
another body a 422. Keys are per API key and kept API_IDEMPOTENCY_HOURS.

Safe under concurrency: the record is inserted in the transaction that does the work, so a second
request with the key waits on the unique index until the first commits, then reads its answer
(two identical requests at once make one order, and both get the same answer). A request that
fails stores nothing: the same key may be sent again."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from .models import ApiKey, IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


class IdempotencyMismatch(ApplicationError):
    pass


def request_hash(*, method: str, path: str, body: bytes) -> str:
    try:  # the same JSON written another way (spaces, key order) is the same request
        body = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass
    return hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()


def idempotent_run(
    *, api_key: ApiKey, key: str, fingerprint: str, work: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """(status, body, replayed): `work()` run once per key, or the answer it gave before.

    Locks: the record's unique index entry (the second request waits for the first). Raises
    IdempotencyMismatch for the key reused with another request, ApplicationError for a key too
    long, and what `work` raises (then nothing is stored)."""
    if not key or len(key) > MAX_LENGTH:
        raise ApplicationError(f"{HEADER} must be 1 to {MAX_LENGTH} characters.", extra={"field": HEADER})
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(api_key=api_key, key=key, request_hash=fingerprint)
            status_code, body = work()
            IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, response_body=body)
            return status_code, body, False
    except IntegrityError:
        pass  # the key was used before (or is being used right now, and that request has committed)
    record = IdempotencyRecord.objects.get(api_key=api_key, key=key)
    if record.request_hash != fingerprint:
        raise IdempotencyMismatch(
            f"This {HEADER} was used with another request; use a new key for a new request.", extra={"field": HEADER}
        )
    return record.status_code, record.response_body, True


def idempotency_records_expire(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
