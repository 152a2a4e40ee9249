"""What an attacker (or a cat on the keyboard) types, and how the bad-input tests judge the answer.

Every hostile value must get an answer below 500. Values a field cannot hold must also leave the
database as it was: `row_counts()` before and after.
"""

from django.apps import apps
from django.test import Client

MISSING = object()  # the field is left out of the POST

HOSTILE = {
    "nul": "\x00",
    "nul-inside": "12\x0034",
    "10^12": str(10**12),
    "int32+1": "2147483648",
    "minus-one": "-1",
    "word": "abc",
    "10k-chars": "x" * 10_000,
    "rtl-emoji": "\u202eمرحبا 🎉👍🏽",
    "missing": MISSING,
}
# What no field of ours accepts: NUL anywhere, more than any max_length. The others may be a
# legitimate name or note (a shop sells to people who write Arabic), so they may be saved.
ALWAYS_REFUSED = ("nul", "nul-inside", "10k-chars")
NOT_A_NUMBER_IN_RANGE = ("nul", "nul-inside", "10^12", "int32+1", "minus-one", "word", "10k-chars", "rtl-emoji")

# Rows that change on any request, or on a refused sign-in by design (the lock-out counters).
VOLATILE_MODELS = {
    "sessions.session",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    "admin.logentry",
}


def row_counts() -> dict[str, int]:
    """Rows per model of every installed app but those that change on any request."""
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in VOLATILE_MODELS and not model._meta.proxy
    }


def with_value(data: dict, field: str, value) -> dict:
    data = dict(data)
    if value is MISSING:
        data.pop(field, None)
    else:
        data[field] = value
    return data


def browser(user=None) -> Client:
    """A client that answers a crash with the 500 a visitor sees instead of raising it."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def describe(value) -> str:
    if value is MISSING:
        return "<missing>"
    return repr(value if len(value) < 30 else value[:12] + f"...({len(value)} chars)")
