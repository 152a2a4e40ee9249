"""Making, finding and revoking API keys. A key reads `ok_<prefix>_<secret>`; the prefix finds
the row, the secret's SHA-256 is compared in constant time."""

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from orders_site.core.exceptions import ApplicationError

from .models import ApiKey

KEY_START = "ok_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], created_by=None) -> tuple[ApiKey, str]:
    """A new key with these scopes. Returns the row and the key itself, which is not kept and
    cannot be shown again. Raises ApplicationError for no name or an unknown scope."""
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown:
        raise ApplicationError(f"Unknown scope: {', '.join(unknown)}.", extra={"field": "scopes"})
    if not name.strip():
        raise ApplicationError("Give the key a name: who uses it.", extra={"field": "name"})
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name.strip(), prefix=prefix, secret_hash=_hash(secret), scopes=sorted(set(scopes)), created_by=created_by
    )
    return key, f"{KEY_START}{prefix}_{secret}"


def api_key_find(raw: str) -> ApiKey | None:
    """The active key `raw` is, or None (unknown, malformed, wrong secret or revoked)."""
    if not raw.startswith(KEY_START) or raw.count("_") < 2:
        return None
    prefix, _, secret = raw[len(KEY_START) :].partition("_")
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(secret)) or not key.is_active:
        return None
    return key


def api_key_touch(*, key: ApiKey) -> None:
    """Note when the key was last used (at most once a minute, so a busy key is not one update
    per request)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


def api_key_revoke(*, key: ApiKey) -> ApiKey:
    """From now on the key is refused (401)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at=None).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key
