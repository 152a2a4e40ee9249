import pytest

from orders.models import RiskRules
from tests.builders import order_build


@pytest.fixture
def risk_rules(db):
    """The managers' thresholds, as a row the test can change."""
    return RiskRules.current()


@pytest.fixture
def place(catalogue, customer):
    """Place an order through the real checkout; it comes back as verification left it."""

    def place(*products_and_quantities, for_customer=None, **kwargs):
        return order_build(state=None, customer=for_customer or customer, lines=products_and_quantities, **kwargs)

    return place


@pytest.fixture
def no_amount_limits(risk_rules):
    """Large and first-order limits off, for tests about big orders for other reasons."""
    risk_rules.large_order_total = 0
    risk_rules.first_order_total = 0
    risk_rules.save()
    return risk_rules
