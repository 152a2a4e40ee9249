"""RFC 9457 problem details: the one body every JSON refusal has (the API, the carrier webhooks)."""

from django.conf import settings


def problem_body(*, status: int, slug: str, title: str, detail: str, **extra) -> dict:
    """{type, title, status, detail, ...extra}; `type` is a stable URL naming the kind of problem."""
    return {
        "type": f"{settings.SHOP_BASE_URL.rstrip('/')}/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        **extra,
    }
