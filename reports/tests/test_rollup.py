"""The daily roll-up equals the live computation from the orders, day by day and channel by
channel; it is rebuilt by the command (and the nightly task) and takes in later changes."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import Order
from reports.models import DailyFigures
from reports.periods import Period
from reports.rollup import CHANNELS, day_totals, day_totals_live, rollup_rebuild
from reports.tasks import rollup_rebuild_task
from tests.builders import CUSTOMER_SERVICE, order_advance, order_build, staff_member

pytestmark = pytest.mark.django_db

SHOP = ZoneInfo("Europe/Amsterdam")
WEEK = Period(first_day=date(2026, 11, 2), last_day=date(2026, 11, 8))
TODAY = date(2026, 12, 1)


@pytest.fixture
def week(catalogue):
    """Orders over a week in two channels, one at 23:30 and one at 00:30 shop time (the day is the
    shop's, not UTC's), one cancelled."""
    placed = [
        (datetime(2026, 11, 2, 9, tzinfo=SHOP), "web", 1),
        (datetime(2026, 11, 2, 23, 30, tzinfo=SHOP), "phone", 2),
        (datetime(2026, 11, 3, 0, 30, tzinfo=SHOP), "web", 3),
        (datetime(2026, 11, 5, 14, tzinfo=SHOP), "web", 1),
        (datetime(2026, 11, 8, 12, tzinfo=SHOP), "email", 2),
    ]
    orders = []
    for moment, channel, books in placed:
        order = order_build(lines=[(catalogue.book, books)], state="verified", channel=channel)
        Order.objects.filter(pk=order.pk).update(placed_at=moment)
        orders.append(order)
    order_advance(order=orders[3], state="cancelled", actor=staff_member(CUSTOMER_SERVICE))
    return orders


def test_the_roll_up_equals_the_live_computation(week):
    written = rollup_rebuild(first_day=WEEK.first_day, last_day=WEEK.last_day)

    assert written == 7 * len(CHANNELS)  # zeros too, so a rolled-up day is told from an unseen one
    assert day_totals(WEEK, today=TODAY) == day_totals_live(WEEK)
    for channel in ("web", "phone", "email", "api"):
        one = Period(first_day=WEEK.first_day, last_day=WEEK.last_day, channel=channel)
        assert day_totals(one, today=TODAY) == day_totals_live(one)
    by_day = {day.day: day for day in day_totals(WEEK, today=TODAY)}
    # 23:30 on the 2nd is the 2nd, 00:30 on the 3rd the 3rd (in UTC both fall on the 2nd).
    assert (by_day[date(2026, 11, 2)].orders, by_day[date(2026, 11, 3)].orders) == (2, 1)
    assert (by_day[date(2026, 11, 5)].orders, by_day[date(2026, 11, 5)].cancelled) == (1, 1)
    assert by_day[date(2026, 11, 5)].total == 0


def test_the_dashboard_reads_the_roll_up_and_a_rebuild_takes_in_later_changes(week):
    rollup_rebuild(first_day=WEEK.first_day, last_day=WEEK.last_day)
    order_advance(order=week[0], state="cancelled", actor=staff_member(CUSTOMER_SERVICE))

    stale = {day.day: day for day in day_totals(WEEK, today=TODAY)}
    assert stale[date(2026, 11, 2)].cancelled == 0  # the roll-up as it was built
    rollup_rebuild(first_day=WEEK.first_day, last_day=WEEK.last_day)
    assert day_totals(WEEK, today=TODAY) == day_totals_live(WEEK)
    assert {day.day: day for day in day_totals(WEEK, today=TODAY)}[date(2026, 11, 2)].cancelled == 1


def test_days_the_roll_up_does_not_hold_and_today_come_from_the_orders(week):
    rollup_rebuild(first_day=date(2026, 11, 2), last_day=date(2026, 11, 4))
    DailyFigures.objects.filter(day=date(2026, 11, 3), channel="web").update(
        orders=99
    )  # to see where each day came from

    by_day = {day.day: day for day in day_totals(WEEK, today=date(2026, 11, 8))}

    assert by_day[date(2026, 11, 3)].orders == 99  # from the roll-up
    assert by_day[date(2026, 11, 5)].orders == 1  # not rolled up: from the orders
    assert by_day[date(2026, 11, 8)].orders == 1  # today: from the orders


def test_the_command_and_the_nightly_task_rebuild_it(week, settings):
    call_command("reports_rollup", "--from", "2026-11-02", "--to", "2026-11-08")
    assert DailyFigures.objects.filter(day__range=(WEEK.first_day, WEEK.last_day)).count() == 7 * len(CHANNELS)
    with pytest.raises(CommandError, match="not a date"):
        call_command("reports_rollup", "--from", "2026-13-01")
    settings.REPORTS_ROLLUP_DAYS = 3
    assert rollup_rebuild_task.delay().get() == 3 * len(CHANNELS)
