from decimal import Decimal
from types import SimpleNamespace

import factory

from inventory.models import BinLocation, Category, Product, StockLevel, TaxClass, Warehouse


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
