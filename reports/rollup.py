"""Orders and money per day and channel: computed from the orders, or read from the daily roll-up
(DailyFigures) for the days it holds, so that a dashboard over a long range at a million orders
does not sum the orders again.

The roll-up holds a row for every day and channel it was rebuilt for (zeros too), so a day it
holds is told apart from a day it has not seen. It is rebuilt for the last REPORTS_ROLLUP_DAYS
days every night (beat: reports.tasks.rollup_rebuild_task) and by `manage.py reports_rollup`;
an order's money can change after the day it was placed (an edit, a cancellation), and the
nightly rebuild takes that in. Today is always computed from the orders.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from orders.models import Order
from orders_site.core.money import ZERO

from .figures import orders_in
from .models import DailyFigures
from .periods import Period

CHANNELS = [value for value, _ in Order.Channel.choices]


@dataclass(frozen=True)
class DayFigures:
    day: date
    orders: int  # placed, cancelled ones too
    cancelled: int
    net: Decimal  # the money of the orders not cancelled
    shipping: Decimal
    tax: Decimal
    total: Decimal


def _live_rows(*, start, end, channel: str = "", warehouse_id: int | None = None, by_channel: bool = False):
    """Grouped by the shop's calendar day of placement (and channel)."""
    period_orders = orders_in(Period(first_day=start, last_day=end, channel=channel, warehouse_id=warehouse_id))
    kept = ~Q(status=Order.Status.CANCELLED)
    keys = ["day", "channel"] if by_channel else ["day"]
    return (
        period_orders.annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values(*keys)
        .annotate(
            orders=Count("pk"),
            cancelled=Count("pk", filter=~kept),
            net=Coalesce(Sum(F("subtotal") - F("discount_total"), filter=kept), ZERO),
            shipping=Coalesce(Sum("shipping_total", filter=kept), ZERO),
            tax=Coalesce(Sum("tax_total", filter=kept), ZERO),
            total=Coalesce(Sum("total", filter=kept), ZERO),
        )
        .order_by(*keys)
    )


def _figures(day: date, rows: list[dict]) -> DayFigures:
    return DayFigures(
        day=day,
        orders=sum(row["orders"] for row in rows),
        cancelled=sum(row["cancelled"] for row in rows),
        net=sum((row["net"] for row in rows), ZERO),
        shipping=sum((row["shipping"] for row in rows), ZERO),
        tax=sum((row["tax"] for row in rows), ZERO),
        total=sum((row["total"] for row in rows), ZERO),
    )


def day_totals_live(period: Period) -> list[DayFigures]:
    """Every day of the period, computed from the orders (one query)."""
    rows = _live_rows(
        start=period.first_day, end=period.last_day, channel=period.channel, warehouse_id=period.warehouse_id
    )
    rows = {row["day"]: row for row in rows}
    return [_figures(day, [rows[day]] if day in rows else []) for day in period.each_day()]


def day_totals(period: Period, *, today: date | None = None) -> list[DayFigures]:
    """Every day of the period: from the roll-up for the days before today it holds, from the
    orders for the rest (and for all of it when the period names a warehouse, which the roll-up
    does not split by). Two queries at most."""
    today = today or timezone.localdate()
    if period.warehouse_id:
        return day_totals_live(period)
    rolled = DailyFigures.objects.filter(
        day__gte=period.first_day, day__lte=min(period.last_day, today - timedelta(days=1))
    )
    if period.channel:
        rolled = rolled.filter(channel=period.channel)
    held: dict[date, list[dict]] = {}
    for row in rolled.values("day", "orders", "cancelled", "net", "shipping", "tax", "total"):
        held.setdefault(row["day"], []).append(row)
    missing = [day for day in period.each_day() if day not in held]
    live: dict[date, dict] = {}
    if missing:
        live = {row["day"]: row for row in _live_rows(start=missing[0], end=missing[-1], channel=period.channel)}
    return [
        _figures(day, held[day]) if day in held else _figures(day, [live[day]] if day in live else [])
        for day in period.each_day()
    ]


@transaction.atomic
def rollup_rebuild(*, first_day: date, last_day: date) -> int:
    """Recompute the roll-up of these days (every channel, zeros too) from the orders, replacing
    what it held. Locks nothing: a rebuild running beside another writes the same rows (the unique
    day+channel constraint keeps one of each). Returns the number of rows written."""
    rows = {(row["day"], row["channel"]): row for row in _live_rows(start=first_day, end=last_day, by_channel=True)}
    DailyFigures.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    fresh = []
    day = first_day
    while day <= last_day:
        for channel in CHANNELS:
            row = rows.get((day, channel))
            figures = _figures(day, [row] if row else [])
            fresh.append(
                DailyFigures(
                    day=day,
                    channel=channel,
                    orders=figures.orders,
                    cancelled=figures.cancelled,
                    net=figures.net,
                    shipping=figures.shipping,
                    tax=figures.tax,
                    total=figures.total,
                )
            )
        day += timedelta(days=1)
    DailyFigures.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
    return len(fresh)


def money_of(days: list[DayFigures]):
    """(orders placed, orders kept, net, shipping, tax, total) over some days."""
    return (
        sum(day.orders for day in days),
        sum(day.orders - day.cancelled for day in days),
        sum((day.net for day in days), ZERO),
        sum((day.shipping for day in days), ZERO),
        sum((day.tax for day in days), ZERO),
        sum((day.total for day in days), ZERO),
    )
