from decimal import Decimal
from types import SimpleNamespace

import factory

from inventory.models import BinLocation, Category, Product, StockLevel, Supplier, TaxClass, Warehouse


class TaxClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClass
        django_get_or_create = ("name",)

    name = "Standard"
    rate = Decimal("0.2100")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    price = Decimal("10.00")
    tax_class = factory.SubFactory(TaxClassFactory)
    kind = Product.Kind.PHYSICAL


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.LazyAttribute(lambda o: f"Warehouse {o.code}")


class BinLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BinLocation

    warehouse = factory.SubFactory(WarehouseFactory)
    code = factory.Sequence(lambda n: f"A-{n:02d}-1")
    walk_order = factory.Sequence(lambda n: n)


def stock_put(*, product, warehouse, quantity: int) -> StockLevel:
    """Receive stock through the service, so the ledger matches the level."""
    from inventory.services import stock_receive

    stock_receive(product=product, warehouse=warehouse, quantity=quantity, reference="test")
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def catalogue_build() -> SimpleNamespace:
    standard = TaxClassFactory(name="Standard", rate=Decimal("0.2100"))
    reduced = TaxClassFactory(name="Reduced", rate=Decimal("0.0900"))
    main = WarehouseFactory(code="AMS", name="Amsterdam", priority=1)
    second = WarehouseFactory(code="RTM", name="Rotterdam", priority=2)
    chair = ProductFactory(sku="CHAIR-1", name="Oak chair", price=Decimal("149.00"), tax_class=standard)
    lamp = ProductFactory(sku="LAMP-1", name="Desk lamp", price=Decimal("39.95"), tax_class=standard)
    book = ProductFactory(sku="BOOK-1", name="Woodworking book", price=Decimal("24.50"), tax_class=reduced)
    assembly = ProductFactory(
        sku="ASSEMBLY", name="Assembly service", price=Decimal("30.00"), tax_class=standard, kind=Product.Kind.SERVICE
    )
    stock_put(product=chair, warehouse=main, quantity=10)
    stock_put(product=lamp, warehouse=main, quantity=5)
    stock_put(product=lamp, warehouse=second, quantity=5)
    stock_put(product=book, warehouse=second, quantity=20)
    return SimpleNamespace(
        standard=standard,
        reduced=reduced,
        main=main,
        second=second,
        chair=chair,
        lamp=lamp,
        book=book,
        assembly=assembly,
    )


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '.')}@example.com")


def purchase_order_sent(*, warehouse, lines, supplier=None, expected_on=None, actor=None):
    """A purchase order for these (product, quantity) pairs, created and sent through the services."""
    from inventory.services import PurchaseLineRequest, purchase_order_create, purchase_order_send

    purchase_order = purchase_order_create(
        supplier=supplier or SupplierFactory(),
        warehouse=warehouse,
        lines=[PurchaseLineRequest(product=product, quantity=quantity) for product, quantity in lines],
        expected_on=expected_on,
        actor=actor,
    )
    return purchase_order_send(purchase_order=purchase_order, actor=actor)


def order_with_lines(*, lines, number=None, customer=None):
    """A draft order with these (product, quantity) lines, made directly: for allocation tests
    that are about stock alone (placing it would verify it and allocate already)."""
    from orders.models import Address, Order, OrderLine
    from orders.tests.factories import CustomerFactory, DeliveryMethodFactory

    global _order_counter
    _order_counter += 1
    delivery_method = DeliveryMethodFactory()
    customer = customer or CustomerFactory()
    order = Order.objects.create(
        number=number or f"T{_order_counter:06d}",
        customer=customer,
        email=customer.email,
        delivery_method=delivery_method,
        delivery_method_name=delivery_method.name,
        billing_address=Address.objects.create(
            full_name="Anna de Vries", line1="Prinsengracht 263", postal_code="1016 GV", city="Amsterdam", country="NL"
        ),
        payment_method="bank_transfer",
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=product,
                sku=product.sku,
                name=product.name,
                kind=product.kind,
                quantity=quantity,
                unit_price=product.price,
                tax_rate=Decimal("0.21"),
                net_amount=product.price * quantity,
                tax_amount=0,
                line_total=product.price * quantity,
            )
            for product, quantity in lines
        ]
    )
    return order


_order_counter = 0
