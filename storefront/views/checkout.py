"""Checkout in two steps: details (address, delivery, payment) and review (card, place order).

What was typed is kept in the session between the steps, never a price: the review page and the
order are priced again from the catalogue. The review form carries a one-time key, made when the
details are first saved and replaced only once an order was placed with it, so a double click, a
resubmit after Back, or a second tab all land on the same order.
"""

import functools
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from invoicing.services import PaymentDeclined
from orders.models import Order
from orders.selectors import order_find_by_idempotency_key
from orders.selectors.shipping import parcel_measure
from orders.services.customers import address_save, customer_for_checkout, customer_get_or_create_for_user
from orders.services.placement import InvalidOrder
from orders_site.core.exceptions import ApplicationError

from ..cart import DISCOUNT_SESSION_KEY, SessionCartStore, cart_store_for
from ..forms import PAYMENT_HINTS, CheckoutForm, PlaceOrderForm
from ..selectors import (
    address_list_for_customer,
    cart_lines_read,
    cart_problems,
    cart_view_priced,
    customer_for_user,
    store_credit_for_user,
)
from ..services.cart import cart_checkout
from .helpers import form_page, guest_order_grant

CHECKOUT_SESSION_KEY = "checkout"
KEY_SESSION_KEY = "checkout_key"
PLACED_SESSION_KEY = "checkout_placed"
PLACED_KEPT = 10
REVIEW_PAYMENT_HINTS = {
    **PAYMENT_HINTS,
    Order.PaymentMethod.CARD: "The amount is reserved on your card now and charged when we invoice the order.",
}
# Where a refusal from order_place belongs on the details form.
PLACEMENT_FIELDS = {
    "shipping_address": "ship_line1",
    "delivery_method": "delivery_method",
    "payment_method": "payment_method",
    "requested_delivery_date": "requested_delivery_date",
    "discount_code": "discount_code",
}


def _checkout_form(request, *, lines, data=None, initial=None) -> CheckoutForm:
    """`lines`: the cart as this request read it (`cart_lines_read`)."""
    customer = customer_for_user(user=request.user)
    return CheckoutForm(
        data=data,
        initial=initial,
        addresses=address_list_for_customer(customer=customer),
        is_guest=not request.user.is_authenticated,
        parcel=parcel_measure((line.product, line.quantity, line.product.price) for line in lines),
    )


def _initial(request) -> dict:
    stored = request.session.get(CHECKOUT_SESSION_KEY)
    if stored:
        return CheckoutForm.initial_from_stored(stored)
    initial = {"discount_code": request.session.get(DISCOUNT_SESSION_KEY, "")}
    customer = customer_for_user(user=request.user)
    if customer is not None:
        initial.update({"ship_full_name": customer.full_name, "ship_phone": customer.phone})
    return initial


def _render_details(request, form, *, lines, status=200):
    """The details page, its cart summary priced from `lines` with the estimated shipping."""
    cart = cart_view_priced(lines=lines, discount_code=request.session.get(DISCOUNT_SESSION_KEY, ""))
    return render(
        request, "storefront/checkout.html", {"form": form, "cart": cart, "payment_hints": PAYMENT_HINTS}, status=status
    )


def _cart_or_redirect(request):
    """The cart's lines, read once for the request (each page prices them as it shows them), or
    the way back to the cart when it is empty or something in it cannot be had."""
    lines = cart_lines_read(items=cart_store_for(request).items())
    if not lines:
        messages.info(request, "Your cart is empty. Add something before you check out.")
        return None, redirect("storefront:cart")
    if problems := cart_problems(lines):
        messages.warning(request, "Please check your cart: " + " ".join(problems))
        return None, redirect("storefront:cart")
    return lines, None


@form_page
def checkout(request):
    lines, response = _cart_or_redirect(request)
    if response is not None:
        return response
    if request.method != "POST":
        return _render_details(request, _checkout_form(request, initial=_initial(request), lines=lines), lines=lines)
    form = _checkout_form(request, data=request.POST, lines=lines)
    if not form.is_valid():
        return _render_details(request, form, lines=lines)
    stored = {name: value for name, value in request.POST.items() if name in form.fields}
    if request.user.is_authenticated and form.uses_new_address and form.cleaned_data.get("save_address"):
        customer = customer_get_or_create_for_user(user=request.user)
        saved = address_save(customer=customer, data=form.shipping_address_data())
        stored["address_choice"] = str(saved.pk)
        stored.pop("save_address", None)
    request.session[CHECKOUT_SESSION_KEY] = stored
    if form.cleaned_data["discount_code"]:
        request.session[DISCOUNT_SESSION_KEY] = form.cleaned_data["discount_code"]
    else:
        request.session.pop(DISCOUNT_SESSION_KEY, None)
    request.session.setdefault(KEY_SESSION_KEY, uuid.uuid4().hex)
    return redirect("storefront:checkout_review")


def _details_or_redirect(request, lines):
    """The details saved in step one, checked again (a method may have been withdrawn since)
    against the cart's `lines`, as this request read them."""
    stored = request.session.get(CHECKOUT_SESSION_KEY)
    if not stored or not request.session.get(KEY_SESSION_KEY):
        return None, redirect("storefront:checkout")
    form = _checkout_form(request, data=stored, lines=lines)
    if not form.is_valid():
        messages.warning(request, "Please check your details again.")
        return None, _render_details(request, form, lines=lines)
    return form, None


def _render_review(request, details: CheckoutForm, place_form: PlaceOrderForm, *, lines, status=200):
    """`lines`: the cart as this request read it, priced here as the order will be: with the
    chosen method (its zones read by the details form), to the chosen address."""
    method = details.cleaned_data["delivery_method"]
    cart = cart_view_priced(
        lines=lines,
        discount_code=details.cleaned_data["discount_code"],
        delivery_method=method,
        country=details.destination_country(details.cleaned_data),
    )
    return render(
        request,
        "storefront/checkout_review.html",
        {
            "cart": cart,
            "details": details,
            "method": method,
            "shipping_address": None if method.is_pickup else details.shipping_address_data(),
            "billing_address": details.billing_address_data(),
            "email": details.cleaned_data.get("email") or getattr(request.user, "email", ""),
            "payment_method": dict(Order.PaymentMethod.choices)[details.cleaned_data["payment_method"]],
            "payment_hint": REVIEW_PAYMENT_HINTS.get(details.cleaned_data["payment_method"], ""),
            "place_form": place_form,
            "store_credit": _credit_preview(place_form, cart.priced.total),
            "test_gateway": settings.PAYMENT_GATEWAY.endswith(".TestGateway"),
        },
        status=status,
    )


def _credit_preview(place_form: PlaceOrderForm, total: Decimal) -> dict | None:
    """What the review shows when the customer may pay with store credit: what it takes off and
    what is left to pay (the service decides again when the order is placed)."""
    field = place_form.fields.get("use_store_credit")
    if field is None:
        return None
    balance = place_form.store_credit
    used = min(balance, total)
    return {"used": used, "rest": total - used}


@require_safe
def checkout_review(request):
    lines, response = _cart_or_redirect(request)
    if response is not None:
        return response
    details, response = _details_or_redirect(request, lines)
    if response is not None:
        return response
    place_form = PlaceOrderForm(
        initial={"idempotency_key": request.session[KEY_SESSION_KEY]},
        needs_card=details.cleaned_data["payment_method"] == Order.PaymentMethod.CARD,
        store_credit=_store_credit_of(request),
    )
    return _render_review(request, details, place_form, lines=lines)


def _store_credit_of(request) -> Decimal:
    return store_credit_for_user(user=request.user)


def _remember_placed(request, key: str, order: Order) -> None:
    """Leave the session as a placed order leaves it, whichever click placed the order.

    A second click may have read the session before the first click saved its own, so its copy
    still holds the guest's cart, and it saves last: it must empty that cart too."""
    SessionCartStore(request.session).clear()
    placed = request.session.get(PLACED_SESSION_KEY) or {}
    placed[key] = order.number
    request.session[PLACED_SESSION_KEY] = dict(list(placed.items())[-PLACED_KEPT:])
    if order.customer.user_id is None:
        guest_order_grant(request, number=order.number, email=order.email)
    request.session.pop(CHECKOUT_SESSION_KEY, None)
    request.session.pop(DISCOUNT_SESSION_KEY, None)
    request.session[KEY_SESSION_KEY] = uuid.uuid4().hex


def _show_placed(request, order: Order, *, first_time: bool):
    if first_time:
        received = f"Thank you! We received your order {order.number}."
        if order.payment_method == Order.PaymentMethod.BANK_TRANSFER:
            received += " Please pay by bank transfer: the account, amount and reference are under Payment below."
        if order.status == Order.Status.ON_HOLD:
            # Not "success": the order page under the message says what the hold means for them
            # (lifecycle.customer_status), never why in the staff's words.
            messages.info(request, received)
        else:
            messages.success(request, received)
    else:
        messages.info(request, f"Your order {order.number} was already placed; here it is.")
    return redirect("storefront:order_detail", number=order.number)


def _already_placed(request, key: str):
    """The answer when this key's order exists or the page is stale, else None."""
    placed = request.session.get(PLACED_SESSION_KEY) or {}
    if key and key in placed:  # Back and resubmit, or a second tab, after the order was made
        order = order_find_by_idempotency_key(key=key)
        if order is not None:
            return _show_placed(request, order, first_time=False)
    if not key or key != request.session.get(KEY_SESSION_KEY):
        messages.warning(request, "This page was out of date. Please check your order and place it again.")
        return redirect("storefront:checkout_review")
    order = order_find_by_idempotency_key(key=key)
    if order is not None:  # the first of two quick clicks finished while this one waited
        _remember_placed(request, key, order)
        return _show_placed(request, order, first_time=False)
    return None


def _refused(request, key: str, error: ApplicationError, details: CheckoutForm, place_form: PlaceOrderForm, lines):
    """A refusal, shown where the customer can fix it: beside the card, the cart line or the field."""
    if isinstance(error, PaymentDeclined):
        place_form.add_error("card_number", error.message)
        return _render_review(request, details, place_form, lines=lines)
    if isinstance(error, InvalidOrder):
        order = order_find_by_idempotency_key(key=key)
        if order is not None:  # the other click won and emptied the cart in between
            _remember_placed(request, key, order)
            return _show_placed(request, order, first_time=False)
        field = error.extra.get("field")
        if field == "lines":
            messages.error(request, error.message)
            return redirect("storefront:cart")
        details.add_error(PLACEMENT_FIELDS.get(field), error.message)
        return _render_details(request, details, lines=lines)
    field = error.extra.get("field")
    place_form.add_error(field if field in place_form.fields else None, error.message)
    return _render_review(request, details, place_form, lines=lines)


@require_POST
def checkout_place(request):
    key = request.POST.get("idempotency_key", "")
    response = _already_placed(request, key)
    if response is not None:
        return response
    # The cart is read once, here: the details are checked against it, and cart_checkout refuses
    # an empty cart or a problem with it (shown on the cart page) from the same reading. It is
    # priced only where a page shows it; placement prices the order itself.
    lines = cart_lines_read(items=cart_store_for(request).items())
    details, response = _details_or_redirect(request, lines)
    if response is not None:
        return response
    payment_method = details.cleaned_data["payment_method"]
    place_form = PlaceOrderForm(
        request.POST, needs_card=payment_method == Order.PaymentMethod.CARD, store_credit=_store_credit_of(request)
    )
    if not place_form.is_valid():
        return _render_review(request, details, place_form, lines=lines)
    method = details.cleaned_data["delivery_method"]
    shipping = details.shipping_address_data()
    try:
        order = cart_checkout(
            cart=cart_store_for(request),
            lines=lines,
            customer_find=functools.partial(
                customer_for_checkout,
                user=request.user,
                email=details.cleaned_data.get("email", ""),  # guests only: signed-in customers have theirs
                full_name=shipping.full_name,
                phone=shipping.phone,
            ),
            delivery_method=method,
            payment_method=payment_method,
            billing_address=details.billing_address_data(),
            shipping_address=None if method.is_pickup else shipping,
            idempotency_key=key,
            discount_code=details.cleaned_data["discount_code"],
            requested_delivery_date=details.cleaned_data.get("requested_delivery_date"),
            delivery_instructions=details.cleaned_data.get("delivery_instructions", ""),
            card_token=place_form.cleaned_data.get("card_number", ""),
            use_store_credit=bool(place_form.cleaned_data.get("use_store_credit")),
        )
    except ApplicationError as error:
        return _refused(request, key, error, details, place_form, lines)
    _remember_placed(request, key, order)
    return _show_placed(request, order, first_time=True)
