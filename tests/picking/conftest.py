from decimal import Decimal
from types import SimpleNamespace

import pytest

from inventory.models import BinLocation, StockLevel
from tests.admin.conftest import staff_client  # noqa: F401  (the admin tests' browser per staff group)
from tests.builders import product_build, stock_put


def bin_put(*, product, warehouse, code: str, walk_order: int) -> BinLocation:
    """Shelve a product's stock in a bin on the picker's walk (the bin is all this sets up)."""
    bin_location, _ = BinLocation.objects.get_or_create(
        warehouse=warehouse, code=code, defaults={"walk_order": walk_order}
    )
    StockLevel.objects.filter(product=product, warehouse=warehouse).update(bin_location=bin_location)
    return bin_location


@pytest.fixture
def shelved(catalogue):
    """The catalogue with bins: in Amsterdam the lamps at Z-01 (walked first, though its code sorts
    last), the chairs at B-05, a desk without a bin; in Rotterdam the books at R-09, the lamps
    without a bin."""
    desk = product_build(sku="DESK-1", name="Walnut desk", price=Decimal("20.00"))
    stock_put(product=desk, warehouse=catalogue.main, quantity=50)
    stock_put(product=catalogue.book, warehouse=catalogue.second, quantity=100)
    stock_put(product=catalogue.chair, warehouse=catalogue.main, quantity=40)
    bin_put(product=catalogue.chair, warehouse=catalogue.main, code="B-05", walk_order=20)
    bin_put(product=catalogue.lamp, warehouse=catalogue.main, code="Z-01", walk_order=10)
    bin_put(product=catalogue.book, warehouse=catalogue.second, code="R-09", walk_order=5)
    return SimpleNamespace(**vars(catalogue), desk=desk)
