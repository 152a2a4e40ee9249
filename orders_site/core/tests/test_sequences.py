"""Gapless counters (orders_site/core/sequences.py) and money rounding (money.py)."""

from decimal import Decimal

import pytest
from django.db import transaction

from orders_site.core.money import money
from orders_site.core.sequences import sequence_next


@pytest.mark.django_db
def test_a_counter_counts_from_one_without_gaps():
    with transaction.atomic():
        assert [sequence_next(name="invoice-2031") for _ in range(3)] == [1, 2, 3]


@pytest.mark.django_db
def test_a_rolled_back_number_is_handed_out_again():
    with transaction.atomic():
        assert sequence_next(name="invoice-2031") == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        assert sequence_next(name="invoice-2031") == 2
        raise RuntimeError("the invoice could not be saved")

    with transaction.atomic():
        assert sequence_next(name="invoice-2031") == 2


@pytest.mark.django_db
def test_counters_are_independent():
    with transaction.atomic():
        sequence_next(name="invoice-2031")
        sequence_next(name="invoice-2031")
        assert sequence_next(name="invoice-2032") == 1
        assert sequence_next(name="order") == 1


def test_a_counter_refuses_to_count_outside_a_transaction():
    # Outside a transaction the lock would end at once and a rollback could not give the number back.
    with pytest.raises(RuntimeError, match="inside a transaction"):
        sequence_next(name="invoice-2031")


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [("2.205", "2.21"), ("2.2049", "2.20"), ("1.0395", "1.04"), ("-2.205", "-2.21"), ("10", "10.00"), (3, "3.00")],
)
def test_money_rounds_half_up_to_cents(amount, rounded):
    assert money(Decimal(amount) if isinstance(amount, str) else amount) == Decimal(rounded)
