"""The signed link in a quote e-mail: who holds it may see and accept that quote, no sign-in needed.

The signature says which quote and that we made the link; whether the quote may still be accepted
is decided from its row (status and `valid_until`), never from the link alone.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "quote-link"


def quote_token_for(*, quote_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(str(quote_id))


def quote_link_for(*, quote_id: int) -> str:
    return reverse("storefront:quote", args=[quote_token_for(quote_id=quote_id)])


def quote_id_from_token(*, token: str) -> int | None:
    """The quote id the link was signed for, or None when it was forged, altered, or is older than
    any quote can be valid (QUOTE_MAX_VALID_DAYS, plus a day)."""
    max_age = (settings.QUOTE_MAX_VALID_DAYS + 1) * 86400
    try:
        return int(signing.TimestampSigner(salt=SALT).unsign(token, max_age=max_age))
    except (signing.BadSignature, ValueError):
        return None
