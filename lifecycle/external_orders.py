"""Orders from other systems (the API, a CSV import): they name things by code (the delivery
method, each product's SKU, a customer's e-mail), which become rows here, and then go through the
same checkout as every other order: same prices from the catalogue, same checks, same events."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch

from inventory.models import Product
from orders.models import Customer, DeliveryMethod, Order, WeightBand
from orders.services.customers import customer_for_guest
from orders.services.placement import AddressData, InvalidOrder, LineRequest
from orders_site.core.exceptions import ApplicationError

from .checkout import order_checkout


@dataclass(frozen=True)
class ExternalLine:
    sku: str
    quantity: int
    customisation_notes: str = ""


@dataclass
class ExternalOrder:
    """An order as another system sends it. The customer is `customer_id`, or a guest by
    `email` and `full_name` (the same e-mail reuses its customer record)."""

    lines: list[ExternalLine]
    delivery_method: str  # its code
    payment_method: str
    billing_address: AddressData
    shipping_address: AddressData | None = None
    customer_id: int | None = None
    email: str = ""
    full_name: str = ""
    phone: str = ""
    discount_code: str = ""
    card_token: str = ""
    requested_delivery_date: date | None = None
    delivery_instructions: str = ""


@dataclass
class CatalogueCodes:
    """The rows behind the codes of many orders, read once (an import reads them for the whole file)."""

    methods: dict[str, DeliveryMethod] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)

    @classmethod
    def read(cls, *, method_codes, skus) -> "CatalogueCodes":
        methods = DeliveryMethod.objects.filter(code__in=set(method_codes), is_active=True).prefetch_related(
            "zones", Prefetch("bands", queryset=WeightBand.objects.order_by("up_to_grams"))
        )
        products = Product.objects.filter(sku__in=set(skus)).select_related("tax_class")  # placement refuses inactive
        return cls(methods={m.code: m for m in methods}, products={p.sku: p for p in products})


def external_order_place(
    order: ExternalOrder, *, channel: str, placed_via: str, placed_by=None, codes: CatalogueCodes | None = None
) -> Order:
    """Place `order` through the checkout, by `placed_by` (a person) or else the system named by
    `placed_via` (an API key). `codes`: the rows behind the codes when read already. Raises
    ApplicationError (field "customer_id") and InvalidOrder (field "delivery_method" or "lines")
    for codes that name nothing, and what the checkout raises."""
    if order.customer_id is not None:
        customer = Customer.objects.filter(pk=order.customer_id).first()
        if customer is None:
            raise ApplicationError("There is no customer with this id.", extra={"field": "customer_id"})
    else:
        customer = customer_for_guest(email=order.email, full_name=order.full_name, phone=order.phone)
    codes = codes or CatalogueCodes.read(method_codes=[order.delivery_method], skus=[line.sku for line in order.lines])
    method = codes.methods.get(order.delivery_method)
    if method is None:
        raise InvalidOrder("There is no active delivery method with this code.", extra={"field": "delivery_method"})
    unknown = [line.sku for line in order.lines if line.sku not in codes.products]
    if unknown:
        raise InvalidOrder(f"Unknown SKU: {', '.join(unknown)}.", extra={"field": "lines"})
    products = codes.products
    return order_checkout(
        customer=customer,
        lines=[
            LineRequest(
                product_id=products[line.sku].pk,
                quantity=line.quantity,
                customisation_notes=line.customisation_notes,
            )
            for line in order.lines
        ],
        products={products[line.sku].pk: products[line.sku] for line in order.lines},
        channel=channel,
        delivery_method=method,
        payment_method=order.payment_method,
        card_token=order.card_token,
        billing_address=order.billing_address,
        shipping_address=order.shipping_address,
        discount_code=order.discount_code,
        requested_delivery_date=order.requested_delivery_date,
        delivery_instructions=order.delivery_instructions,
        placed_via=placed_via,
        placed_by=placed_by,
    )
