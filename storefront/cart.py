"""Where a cart's lines are kept: the session for guests, the database for signed-in customers.

This module only stores and reads lines. The rules (stock limits, quantities, merging at
sign-in, checkout) live in `storefront/services/cart.py`; views never write a cart directly.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from django.db import transaction
from django.db.models import Sum

from orders.locks import cart_owner_lock
from orders.models import Cart, CartLine

SESSION_KEY = "cart"
DISCOUNT_SESSION_KEY = "cart_discount_code"


@dataclass(frozen=True)
class CartItem:
    product_id: int
    quantity: int
    notes: str = ""


class CartStore(Protocol):
    is_persistent: bool

    def items(self) -> list[CartItem]: ...
    def get(self, product_id: int) -> CartItem | None: ...
    def put(self, item: CartItem) -> None: ...
    def remove(self, product_id: int) -> None: ...
    def clear(self) -> None: ...
    def count(self) -> int: ...
    def atomic(self) -> AbstractContextManager: ...


class SessionCartStore:
    """A guest's cart: `{"<product id>": {"quantity": n, "notes": "..."}}` in the session (JSON)."""

    is_persistent = False

    def __init__(self, session) -> None:
        self.session = session

    def _raw(self) -> dict:
        raw = self.session.get(SESSION_KEY) or {}
        return raw if isinstance(raw, dict) else {}

    def items(self) -> list[CartItem]:
        items = []
        for key, value in self._raw().items():
            try:
                product_id = int(key)
                if isinstance(value, dict):
                    quantity, notes = int(value.get("quantity", 0)), str(value.get("notes", ""))
                else:  # the first cut stored a bare quantity
                    quantity, notes = int(value), ""
            except (TypeError, ValueError):
                continue
            if quantity > 0:
                items.append(CartItem(product_id=product_id, quantity=quantity, notes=notes))
        return items

    def get(self, product_id: int) -> CartItem | None:
        return next((item for item in self.items() if item.product_id == product_id), None)

    def put(self, item: CartItem) -> None:
        raw = self._raw()
        raw[str(item.product_id)] = {"quantity": item.quantity, "notes": item.notes}
        self.session[SESSION_KEY] = raw

    def remove(self, product_id: int) -> None:
        raw = self._raw()
        if raw.pop(str(product_id), None) is not None:
            self.session[SESSION_KEY] = raw

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def count(self) -> int:
        return sum(item.quantity for item in self.items())

    def atomic(self) -> AbstractContextManager:
        """Nothing to hold together: the session is saved once, after the response is made."""
        return nullcontext()


class DatabaseCartStore:
    """A signed-in customer's cart, the same on every device they sign in with."""

    is_persistent = True

    def __init__(self, user) -> None:
        self.user = user

    def _lines(self):
        return CartLine.objects.filter(cart__user=self.user)

    def items(self) -> list[CartItem]:
        return [
            CartItem(product_id=product_id, quantity=quantity, notes=notes)
            for product_id, quantity, notes in self._lines()
            .order_by("pk")
            .values_list("product_id", "quantity", "customisation_notes")
        ]

    def get(self, product_id: int) -> CartItem | None:
        row = self._lines().filter(product_id=product_id).values_list("quantity", "customisation_notes").first()
        return CartItem(product_id=product_id, quantity=row[0], notes=row[1]) if row else None

    def put(self, item: CartItem) -> None:
        cart, _ = Cart.objects.get_or_create(user=self.user)
        CartLine.objects.update_or_create(
            cart=cart,
            product_id=item.product_id,
            defaults={"quantity": item.quantity, "customisation_notes": item.notes},
        )

    def remove(self, product_id: int) -> None:
        self._lines().filter(product_id=product_id).delete()

    def clear(self) -> None:
        self._lines().delete()

    def count(self) -> int:
        return self._lines().aggregate(total=Sum("quantity"))["total"] or 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A change in one transaction, holding the cart's owner (orders.locks.cart_owner_lock):
        two tabs adding at once queue instead of both reading the same quantity. One statement."""
        with transaction.atomic():
            cart_owner_lock(user_id=self.user.pk)
            yield


def cart_store_for(request) -> CartStore:
    if request.user.is_authenticated:
        return DatabaseCartStore(request.user)
    return SessionCartStore(request.session)


def cart_item_count(request) -> int:
    if not hasattr(request, "session") or not hasattr(request, "user"):
        return 0
    return cart_store_for(request).count()
