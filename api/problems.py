"""Every API error as an RFC 9457 problem (application/problem+json): `type`, `title`, `status`,
`detail`, and for bad input `errors` ({field: [messages]}, status 422). Never an HTML page."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_handler

from orders_site.core.exceptions import ApplicationError
from orders_site.core.problems import problem_body

CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid", "Invalid request"),
    429: ("throttled", "Too many requests"),
}


def problem_response(status_code: int, detail: str, *, slug: str = "", title: str = "", **extra) -> JsonResponse:
    default_slug, default_title = TITLES.get(status_code, ("error", "Error"))
    body = problem_body(
        status=status_code, slug=slug or default_slug, title=title or default_title, detail=detail, **extra
    )
    return JsonResponse(body, status=status_code, content_type=CONTENT_TYPE)


def _flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"lines.0.quantity": ["..."]}."""
    if isinstance(errors, dict):
        flat = {}
        for name, value in errors.items():
            flat.update(_flatten(value, f"{prefix}{name}." if name != "non_field_errors" else prefix))
        return flat
    if isinstance(errors, list) and errors and not all(isinstance(item, str) for item in errors):
        flat = {}
        for index, value in enumerate(errors):
            flat.update(_flatten(value, f"{prefix}{index}."))
        return flat
    return {prefix.rstrip(".") or "request": [str(item) for item in (errors if isinstance(errors, list) else [errors])]}


def exception_handler(exc, context):
    """DRF's exception handler, answering with problems; a business rule refused is a 422 naming
    its field."""
    if isinstance(exc, ApplicationError):
        field = exc.extra.get("field", "request")
        return problem_response(422, exc.message, errors={field: [exc.message]})
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = next(iter(errors.values()))[0]
        return problem_response(422, first, errors=errors)
    if isinstance(exc, exceptions.ParseError):
        return problem_response(400, str(exc.detail))
    if isinstance(exc, Http404):
        return problem_response(404, "There is nothing at this address.")
    if isinstance(exc, PermissionDenied):
        return problem_response(403, "You may not do this.")
    response = drf_handler(exc, context)
    if response is None:
        return None  # a real error: Django's 500 handler (tests forbid reaching it)
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    problem = problem_response(response.status_code, str(detail))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            problem[header] = response[header]
    return problem
