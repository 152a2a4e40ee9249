"""Walk an order through the lifecycle with the real services, as staff would press the buttons.

Shared by the state-machine and service tests of orders, invoicing, feedback and the concurrency
tests. (It lives here because invoicing is where every journey ends; it could move to
orders/tests/factories.py.)
"""

from decimal import Decimal
from itertools import count

from django.contrib.auth.models import User

from lifecycle.delivery import shipment_deliver
from orders.models import Address, Customer, DeliveryMethod, Order, Shipment
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
    shipment_pack,
    shipment_start_picking,
)


def order_to_packed(*, order: Order, actor) -> list[Shipment]:
    """Start fulfilment of a verified order and pick and pack every parcel. Returns the shipments."""
    order = order_fulfillment_start(order=order, actor=actor)
    return [
        shipment_pack(shipment=shipment_start_picking(shipment=shipment, actor=actor), actor=actor)
        for shipment in order.shipments.order_by("pk")
    ]


def shipment_hand_to_carrier(*, shipment: Shipment, actor) -> Shipment:
    return shipment_dispatch(
        shipment=shipment,
        carrier="PostNL",
        service="Parcel",
        tracking_number=f"3STEST{shipment.pk}",
        tracking_url=f"https://track.example/3STEST{shipment.pk}",
        actor=actor,
    )


def order_to_shipped(*, order: Order, actor) -> list[Shipment]:
    return [shipment_hand_to_carrier(shipment=s, actor=actor) for s in order_to_packed(order=order, actor=actor)]


def order_to_invoiced(*, order: Order, actor) -> Order:
    """Fulfil, dispatch and deliver every parcel; delivery of the last one issues the invoice."""
    for shipment in order_to_shipped(order=order, actor=actor):
        shipment_deliver(shipment=shipment, actor=actor)
    order.refresh_from_db()
    return order


_row_numbers = count(1)


def order_row(*, status: str = Order.Status.DRAFT, customer: Customer | None = None) -> Order:
    """A bare order row put straight into `status`: only for tests about the state alone."""
    number = f"T{next(_row_numbers):05d}"
    customer = customer or Customer.objects.create(full_name="Row Customer", email=f"{number.lower()}@example.com")
    delivery_method, _ = DeliveryMethod.objects.get_or_create(
        code="standard", defaults={"name": "Standard delivery", "fee": Decimal("4.95")}
    )
    order = Order.objects.create(
        number=number,
        customer=customer,
        email=customer.email,
        delivery_method=delivery_method,
        delivery_method_name=delivery_method.name,
        billing_address=Address.objects.create(
            full_name=customer.full_name, line1="Damrak 1", postal_code="1012 LG", city="Amsterdam", country="NL"
        ),
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
    )
    Order.objects.filter(pk=order.pk).update(status=status)
    order.refresh_from_db()
    return order


def customer_with_login(*, username: str) -> tuple[Customer, User]:
    user = User.objects.create_user(username=username, password="pw", email=f"{username}@example.com")
    return Customer.objects.create(user=user, full_name=username.title(), email=user.email), user
