"""Small pieces the storefront views share: safe redirects, guest access to orders, messages."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from ..selectors import order_page_for_customer, order_page_for_guest

# A page with a form answers what a browser form sends (GET, HEAD, POST) and 405 to the rest;
# pages without a form use Django's require_safe (GET, HEAD).
form_page = require_http_methods(["GET", "HEAD", "POST"])

GUEST_ORDERS_SESSION_KEY = "guest_orders"
GUEST_ORDERS_KEPT = 20


def safe_next(request, default: str) -> str:
    """The `next` the form asked for when it is a path on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: redirect() would take a bare word ("abc", "-1") for a URL pattern name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def redirect_next(request, default: str):
    return redirect(safe_next(request, default))


def guest_orders(request) -> dict[str, str]:
    """Order number -> e-mail of the guest orders this browser placed or looked up."""
    stored = request.session.get(GUEST_ORDERS_SESSION_KEY) or {}
    return stored if isinstance(stored, dict) else {}


def guest_order_grant(request, *, number: str, email: str) -> None:
    stored = guest_orders(request)
    stored.pop(number, None)
    stored[number] = email
    request.session[GUEST_ORDERS_SESSION_KEY] = dict(list(stored.items())[-GUEST_ORDERS_KEPT:])


def order_for_request(request, number: str):
    """The order page's order when this visitor may see it: their own, or a guest order this
    browser placed or looked up. None otherwise (the caller answers 404)."""
    if request.user.is_authenticated:
        order = order_page_for_customer(user=request.user, number=number)
        if order is not None:
            return order
    email = guest_orders(request).get(number)
    if email:
        return order_page_for_guest(number=number, email=email)
    return None


def message_change(request, change) -> None:
    level = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}[change.level]
    messages.add_message(request, level, change.message)


def paginate(request, queryset, per_page: int):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def lookup_url(number: str = "") -> str:
    url = reverse("storefront:order_lookup")
    return f"{url}?number={number}" if number else url
