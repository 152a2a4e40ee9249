from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.admin.conftest import staff_client  # noqa: F401  (the admin tests' browser per staff group)
from tests.builders import bin_put, product_build, stock_put


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
