from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import formats

from orders_site.core.formatting import count_display, day_display, money_display, range_display, rate_display


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("1592.3"), "EUR", "€\u00a01,592.30"),
        (Decimal("0"), "EUR", "€\u00a00.00"),
        (Decimal("1234567.891"), "GBP", "£\u00a01,234,567.89"),
        (Decimal("-12"), "EUR", "\u2212€\u00a012.00"),
        (Decimal("5"), "PLN", "PLN\u00a05.00"),
    ],
)
def test_money_reads_as_people_write_it(amount, currency, shown):
    assert money_display(amount, currency) == shown


@pytest.mark.parametrize(("rate", "shown"), [("0.21", "21\u00a0%"), ("0.055", "5.5\u00a0%"), ("0", "0\u00a0%")])
def test_rates_are_percentages(rate, shown):
    assert rate_display(Decimal(rate)) == shown


def test_the_filters_default_to_the_shops_currency(settings):
    settings.CURRENCY = "EUR"
    html = Template("{% load formatting %}{{ a|money }} {{ a|money:'GBP' }} {{ r|rate }}").render(
        Context({"a": Decimal("1592.30"), "r": Decimal("0.0900")})
    )
    assert html == "€\u00a01,592.30 £\u00a01,592.30 9\u00a0%"


def test_times_are_on_the_24_hour_clock():
    moment = datetime(2026, 12, 2, 14, 5, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert formats.date_format(moment, "DATETIME_FORMAT") == "2 Dec 2026, 14:05"
    assert formats.time_format(moment.time(), "TIME_FORMAT") == "14:05"


@pytest.mark.parametrize(("count", "shown"), [(0, "0 units"), (1, "1 unit"), (2, "2 units"), (1000, "1000 units")])
def test_counts_take_the_noun_in_the_right_number(count, shown):
    assert count_display(count, "unit") == shown


def test_irregular_plurals_and_ranges():
    assert count_display(2, "delivery", "deliveries") == "2 deliveries"
    assert range_display(1, 1, "working day") == "1 working day"
    assert range_display(3, 3, "working day") == "3 working days"
    assert range_display(2, 3, "working day") == "2\u20133 working days"


def test_a_day_in_a_list_shows_its_year_only_when_it_is_not_this_year():
    today = date(2026, 12, 7)
    assert day_display(date(2026, 12, 10), today=today) == "10 Dec"
    assert day_display(date(2027, 1, 4), today=today) == "4 Jan 2027"
    assert day_display(date(2025, 12, 10), today=today) == "10 Dec 2025"
