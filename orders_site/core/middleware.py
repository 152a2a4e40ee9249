"""Request checks every page needs before any view or query runs."""

from urllib.parse import unquote_plus

from django.core.exceptions import BadRequest

NUL = "\x00"


def _has_nul(values) -> bool:
    return any(NUL in value for value in values if isinstance(value, str))


def _query_has_nul(query) -> bool:
    return any(NUL in key or _has_nul(query.getlist(key)) for key in query)


class RejectNulBytesMiddleware:
    """400 for a NUL byte in a cookie, the query string, a form field or a matched URL part.

    PostgreSQL text cannot hold NUL, so any query with one fails (a 500), and no person types one:
    forms already refuse it (Django's CharField), this covers what reaches a query without a form
    (a session cookie, admin filters and search, URL parts). An address whose pattern does not
    match stays a 404: URL converters say which parts are possible.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The raw query string, not request.GET: parsing it here would turn a flood of fields into
        # a 400 on pages that never read them (a 404 stays a 404).
        if _has_nul(request.COOKIES.values()) or NUL in unquote_plus(request.META.get("QUERY_STRING", "")):
            raise BadRequest("NUL byte in a cookie or the query string")
        if request.method == "POST" and _query_has_nul(request.POST):
            raise BadRequest("NUL byte in the posted form")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _has_nul([*view_args, *view_kwargs.values()]):
            raise BadRequest("NUL byte in the address")
        return None
