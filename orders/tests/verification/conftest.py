import pytest

from orders.models import RiskRules


@pytest.fixture
def risk_rules(db):
    """The managers' thresholds, as a row the test can change."""
    return RiskRules.current()


@pytest.fixture
def place(catalogue, customer):
    """Place an order through the real service (verification runs at once)."""
    from orders.tests.factories import order_place_for_test

    def place(*products_and_quantities, for_customer=None, **kwargs):
        return order_place_for_test(
            customer=for_customer or customer, products_and_quantities=list(products_and_quantities), **kwargs
        )

    return place


@pytest.fixture
def no_amount_limits(risk_rules):
    """Large and first-order limits off, for tests about big orders for other reasons."""
    risk_rules.large_order_total = 0
    risk_rules.first_order_total = 0
    risk_rules.save()
    return risk_rules
