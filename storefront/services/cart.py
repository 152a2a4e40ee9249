"""The cart's rules: what can be added, stock-aware limits, merging at sign-in, and checkout.

Carts are kept by a `CartStore` (orders/cart.py): the session for guests, the database for
signed-in customers. Nothing here trusts a price from the browser; prices are read when the
cart is shown (selectors.cart_view_build) and again, authoritatively, by `order_place`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from inventory.models import Product
from lifecycle.checkout import order_checkout
from orders.models import Customer, DeliveryMethod, Order
from orders.selectors import order_find_by_idempotency_key, voucher_code_problem
from orders.services.placement import MAX_LINE_QUANTITY, AddressData, InvalidOrder, LineRequest
from orders.services.verification import SoldOut
from orders_site.core.exceptions import ApplicationError

from ..cart import DISCOUNT_SESSION_KEY, CartItem, CartStore
from ..selectors import CartLineView, cart_lines_read, cart_problems, product_get_with_availability


@dataclass(frozen=True)
class CartChange:
    """What a cart operation did, in words for the customer."""

    quantity: int  # units of the product now in the cart
    message: str
    level: str  # "success", "warning" or "error" (django.contrib.messages tags)


def _settle_quantity(*, cart: CartStore, product_id: int, wanted: int, notes: str | None, verb: str) -> CartChange:
    product = product_get_with_availability(product_id=product_id)
    current = cart.get(product_id)
    if product is None or not product.is_active:
        cart.remove(product_id)
        name = product.name if product else "This product"
        return CartChange(0, f"{name} is no longer sold.", "error")
    availability = product.availability
    if not availability.can_buy:
        return CartChange(current.quantity if current else 0, f"Sorry, {product.name} is sold out.", "error")
    notes = (current.notes if current else "") if notes is None else notes.strip()[:500]
    quantity = min(wanted, MAX_LINE_QUANTITY)
    limit = availability.max_quantity
    if limit is not None and quantity > limit:
        cart.put(CartItem(product_id=product_id, quantity=limit, notes=notes))
        return CartChange(
            limit,
            f"Only {limit} of {product.name} left; your cart now holds {limit}.",
            "warning",
        )
    cart.put(CartItem(product_id=product_id, quantity=quantity, notes=notes))
    if quantity < wanted:
        return CartChange(quantity, f"At most {MAX_LINE_QUANTITY} per product; your cart holds {quantity}.", "warning")
    available = max(product.available_quantity, 0)
    if product.tracks_stock and product.is_backorderable and quantity > available:
        later = f"{available} can ship now; the rest ships" if available else "It is on back-order and ships"
        return CartChange(
            quantity,
            f"{verb} {product.name}. {later} in about {product.restock_lead_days} days.",
            "warning",
        )
    return CartChange(quantity, f"{verb} {product.name}.", "success")


def cart_add(*, cart: CartStore, product_id: int, quantity: int = 1, notes: str | None = None) -> CartChange:
    """Add units of a product. Asking for more than can be had puts in what can, and says so.

    In one transaction for a saved cart (`cart.atomic()`); a guest's cart in the session needs
    none. Raises ApplicationError for a quantity below 1.
    """
    if quantity < 1:
        raise ApplicationError("Choose a quantity of at least 1.", extra={"field": "quantity"})
    with cart.atomic():
        current = cart.get(product_id)
        wanted = (current.quantity if current else 0) + quantity
        return _settle_quantity(cart=cart, product_id=product_id, wanted=wanted, notes=notes, verb="Added")


def cart_update(*, cart: CartStore, product_id: int, quantity: int, notes: str | None = None) -> CartChange:
    """Set a line's quantity; 0 removes the line. Raises ApplicationError for a negative quantity."""
    if quantity < 0:
        raise ApplicationError("A quantity cannot be negative.", extra={"field": "quantity"})
    with cart.atomic():
        if cart.get(product_id) is None:
            raise ApplicationError("This product is not in your cart any more.")
        if quantity == 0:
            return cart_remove(cart=cart, product_id=product_id)
        return _settle_quantity(cart=cart, product_id=product_id, wanted=quantity, notes=notes, verb="Updated")


def cart_remove(*, cart: CartStore, product_id: int) -> CartChange:
    with cart.atomic():
        product = Product.objects.filter(pk=product_id).only("name").first()
        cart.remove(product_id)
    name = product.name if product else "The product"
    return CartChange(0, f"{name} was removed from your cart.", "success")


def cart_merge(*, source: CartStore, target: CartStore) -> int:
    """At sign-in: move the guest cart's lines into the customer's saved cart, then empty it.

    Quantities of the same product are added up, within what stock allows. Returns the number of
    lines merged.
    """
    merged = 0
    with target.atomic():
        for item in source.items():
            current = target.get(item.product_id)
            wanted = item.quantity + (current.quantity if current else 0)
            notes = item.notes or (current.notes if current else "")
            change = _settle_quantity(cart=target, product_id=item.product_id, wanted=wanted, notes=notes, verb="Added")
            if change.quantity:
                merged += 1
        source.clear()
    return merged


def cart_discount_apply(*, session, code: str) -> str:
    """Remember a discount code for this visitor's cart. Raises ApplicationError when it is not valid."""
    code = (code or "").strip().upper()
    if not code:
        session.pop(DISCOUNT_SESSION_KEY, None)
        return ""
    problem = voucher_code_problem(code=code)
    if problem:
        raise ApplicationError(problem, extra={"field": "code"})
    session[DISCOUNT_SESSION_KEY] = code
    return code


def cart_discount_remove(*, session) -> None:
    session.pop(DISCOUNT_SESSION_KEY, None)


def cart_checkout(
    *,
    cart: CartStore,
    customer_find: Callable[[], Customer],
    delivery_method: DeliveryMethod,
    payment_method: str,
    billing_address: AddressData,
    shipping_address: AddressData | None,
    idempotency_key: str,
    discount_code: str = "",
    requested_delivery_date: date | None = None,
    delivery_instructions: str = "",
    card_token: str = "",
    use_store_credit: bool = False,
    lines: list[CartLineView] | None = None,
) -> Order:
    """Place the cart as a web order and empty the cart, in one transaction (the order's own:
    the cart is emptied last inside it).

    A key already used returns its order untouched (double click, Back and resubmit, two tabs):
    placement looks the key up first, and a cart emptied by the first click is answered with the
    order it made. The cart is re-checked against stock first, so a customer is told before
    placing that a quantity cannot be had; the products it read are the ones placement prices
    (read once). That check reads without a lock, so another order can still take the last units
    before this one allocates them (under the stock lock, in verification): then this checkout is
    refused in the same words, as if the check had caught it, and nothing is kept (a card hold
    taken meanwhile is released), rather than placing an order that waits on hold for stock that
    is not coming.

    `customer_find()`: who the order is for, found or made inside the order's transaction (the
    guest's record: a refused checkout leaves none behind; lifecycle.checkout).
    `use_store_credit`: the customer's store credit pays first (lifecycle.checkout).
    `lines`: the cart as this request already read it (`cart_lines_read` of the same items), so
    the page that checked the details against it does not have it read twice; else read here.
    Locks: as `order_place`. Raises InvalidOrder (extra["field"]: "lines" for the cart),
    PaymentDeclined and ApplicationError (field "store_credit"); nothing is written then and the
    cart is kept.
    """
    if lines is None:
        lines = cart_lines_read(items=cart.items())
    problems = cart_problems(lines)
    if not lines or problems:
        existing = order_find_by_idempotency_key(key=idempotency_key)
        if existing is not None:
            return existing
        if not lines:
            raise InvalidOrder("Your cart is empty.", extra={"field": "lines"})
        raise InvalidOrder(" ".join(problems), extra={"field": "lines"})
    try:
        order = order_checkout(
            customer_find=customer_find,
            lines=[
                LineRequest(product_id=line.product.pk, quantity=line.quantity, customisation_notes=line.notes)
                for line in lines
            ],
            products={line.product.pk: line.product for line in lines},
            channel=Order.Channel.WEB,
            delivery_method=delivery_method,
            payment_method=payment_method,
            billing_address=billing_address,
            shipping_address=None if delivery_method.is_pickup else shipping_address,
            discount_code=discount_code,
            requested_delivery_date=requested_delivery_date,
            delivery_instructions=delivery_instructions,
            idempotency_key=idempotency_key,
            card_token=card_token,
            use_store_credit=use_store_credit,
            refuse_when_sold_out=True,
            then=lambda order: cart.clear(),
        )
    except SoldOut as sold_out:
        # Read again, now that the other order's allocation is committed: the cart says what is left.
        problems = " ".join(cart_problems(cart_lines_read(items=cart.items())))
        message = f"Sorry, the last ones sold while you were checking out, so nothing was ordered. {problems}"
        raise InvalidOrder(message if problems else sold_out.message, extra={"field": "lines"}) from sold_out
    return order
