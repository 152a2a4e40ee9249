"""The manager's dashboard: every figure over a period, each with the rule it is computed by.

Figures are read from the orders, their timeline (OrderEvent), parcels, invoices, returns and
feedback; the order and revenue totals per day come from the daily roll-up for days it holds
(reports.rollup), else from the orders. The number of queries does not depend on the number of
orders: each figure is one aggregate query, the cycle times are one grouped query whose seconds
the median and percentile are read from, and the lists are capped.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest
from inventory.models import StockLevel
from inventory.selectors import stock_levels_low, stock_levels_out
from invoicing.receivables import BUCKET_LABELS, NOT_DUE, receivables
from orders.models import Order, OrderEvent, OrderLine, ReturnLine, Shipment
from orders_site.core.money import ZERO

from . import figures
from .periods import Period
from .rollup import DayFigures, day_totals, money_of

LOW_RATING = 2  # a rating of 2 stars or fewer is low
# The sets of orders counted in one aggregate query over the period's orders (reports.figures).
COUNTED_SETS = ("cancelled", "held", "backordered", "perfect")
TOP = 10
REASONS = 6
# Stages of the pipeline now, in the order an order moves through them.
PIPELINE = (
    Order.Status.PLACED,
    Order.Status.ON_HOLD,
    Order.Status.BACKORDERED,
    Order.Status.VERIFIED,
    Order.Status.IN_FULFILLMENT,
    Order.Status.PARTIALLY_SHIPPED,
    Order.Status.SHIPPED,
    Order.Status.DELIVERED,
    Order.Status.INVOICED,
)


@dataclass(frozen=True)
class Rate:
    part: int
    whole: int

    @property
    def percent(self) -> Decimal | None:
        if not self.whole:
            return None
        return (Decimal(self.part * 100) / self.whole).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Money:
    orders: int
    net: Decimal
    shipping: Decimal
    tax: Decimal
    total: Decimal

    @property
    def average_order_value(self) -> Decimal | None:
        return (self.total / self.orders).quantize(Decimal("0.01")) if self.orders else None


@dataclass(frozen=True)
class Stage:
    status: str
    label: str
    orders: int
    oldest_placed_at: object  # datetime | None


@dataclass(frozen=True)
class StageTime:
    status: str
    label: str
    stays: int
    average: timedelta


@dataclass
class Dashboard:
    period: Period
    money: Money
    previous_money: Money
    placed: int  # every order placed in the period, cancelled ones too
    per_day: list[DayFigures]
    pipeline: list[Stage]
    cycle_median: timedelta | None
    cycle_p90: timedelta | None
    cycle_delivered: int
    cycle_histogram: list[tuple[str, int]]
    stage_times: list[StageTime]
    on_time_dispatch: Rate
    perfect: Rate
    backordered: Rate
    cancelled: Rate
    cancel_reasons: list[tuple[str, int]]
    held: Rate
    hold_reasons: list[tuple[str, int]]
    hold_resolution_median: timedelta | None
    holds_resolved: int
    stock_out: int
    stock_low: int
    ageing: dict[str, Decimal]
    ageing_labels: dict[str, str]
    rating_average: Decimal | None
    low_ratings: Rate
    feedback_response: Rate
    top_by_revenue: list[dict] = field(default_factory=list)
    top_by_returns: list[dict] = field(default_factory=list)

    @property
    def overdue(self) -> Decimal:
        return sum((amount for key, amount in self.ageing.items() if key != NOT_DUE), ZERO)


def percentile(values: list, fraction: float):
    """The `fraction` percentile of sorted values, interpolated between the two nearest ranks (what
    PostgreSQL's percentile_cont returns); None for no values."""
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = int(position)
    if low + 1 >= len(values) or position == low:
        return values[low]
    return values[low] + (values[low + 1] - values[low]) * (position - low)


def _money(days: list[DayFigures]) -> Money:
    """The orders placed and not cancelled, and their money (goods after discounts, delivery,
    tax, and what the customer pays)."""
    _placed, kept, net, shipping, tax, total = money_of(days)
    return Money(orders=kept, net=net, shipping=shipping, tax=tax, total=total)


def _pipeline(period: Period) -> list[Stage]:
    """Orders in each open stage now (whenever placed), and the oldest one's placement."""
    orders = Order.objects.filter(status__in=PIPELINE)
    if period.channel:
        orders = orders.filter(channel=period.channel)
    if period.warehouse_id:
        orders = orders.filter(figures.warehouse_has(period.warehouse_id))
    rows = {
        row["status"]: row
        for row in orders.values("status").annotate(count=Count("pk"), oldest=Min("placed_at")).order_by()
    }
    labels = dict(Order.Status.choices)
    return [
        Stage(status, labels[status], rows.get(status, {}).get("count", 0), rows.get(status, {}).get("oldest"))
        for status in PIPELINE
    ]


# Bands of the cycle-time chart, in days: [0, 1), [1, 2), ... and the last one open.
CYCLE_BANDS = (1, 2, 3, 5, 8)


def _cycle_times(orders) -> list[timedelta]:
    """Placement to the first "delivered" event of each delivered order, shortest first: one
    grouped query (the events of one kind joined once, not a subquery per order)."""
    event_table, order_table = OrderEvent._meta.db_table, Order._meta.db_table
    inner, params = orders.values("pk").query.sql_with_params()
    sql = f"""
        SELECT {_seconds("MIN(e.created_at)", "o.placed_at")} AS cycle
        FROM {order_table} o JOIN {event_table} e ON e.order_id = o.id
        WHERE e.kind = %s AND o.id IN ({inner})
        GROUP BY o.id, o.placed_at
        ORDER BY cycle
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [OrderEvent.Kind.ORDER_DELIVER, *params])
        return [timedelta(seconds=round(float(seconds))) for (seconds,) in cursor.fetchall()]


def _cycle_histogram(cycles: list[timedelta]) -> list[tuple[str, int]]:
    """Delivered orders per band of cycle time."""
    bands, lower = [], 0
    for upper in CYCLE_BANDS:
        label = "under 1 day" if lower == 0 else f"{lower}-{upper} days"
        bands.append((label, sum(1 for cycle in cycles if timedelta(days=lower) <= cycle < timedelta(days=upper))))
        lower = upper
    bands.append((f"{lower} days or more", sum(1 for cycle in cycles if cycle >= timedelta(days=lower))))
    return bands


def _seconds(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _stays(orders, *, with_data: bool = False) -> tuple[str, list]:
    """SQL of every stay of these orders in a state: the state an order event moved it into, when,
    and when the next one moved it on (NULL while it is still there), and the event's data if
    asked for; with its parameters."""
    inner, params = orders.values("pk").query.sql_with_params()
    sql = f"""
        SELECT e.to_state, e.created_at,{" e.data," if with_data else ""}
               LEAD(e.created_at) OVER (PARTITION BY e.order_id ORDER BY e.created_at, e.id) AS left_at
        FROM {OrderEvent._meta.db_table} e
        WHERE e.object_type = 'order' AND e.to_state <> '' AND e.order_id IN ({inner})
    """
    return sql, list(params)


def _stage_times(orders) -> list[StageTime]:
    """The average stay in each stage: from the event that moved the order into it to the next
    event that moved it on (stays still going are not counted). One query with a window."""
    stays, params = _stays(orders)
    sql = f"""
        SELECT to_state, COUNT(*), AVG({_seconds("left_at", "created_at")})
        FROM ({stays}) stays WHERE left_at IS NOT NULL GROUP BY to_state
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = {state: (count, seconds) for state, count, seconds in cursor.fetchall()}
    labels = dict(Order.Status.choices)
    return [
        StageTime(state, labels[state], rows[state][0], timedelta(seconds=round(float(rows[state][1]))))
        for state in labels
        if state in rows
    ]


def _hold_figures(orders) -> tuple[list[tuple[str, int]], timedelta | None, int]:
    """Why orders were held (the checks that failed, per hold), and the median time a hold took to
    resolve: its stay on hold, until the next change of state (released, back-ordered or
    cancelled). One query over the timelines of the held orders alone."""
    stays, params = _stays(orders.filter(figures.held()), with_data=True)
    sql = f"""
        SELECT data, CASE WHEN left_at IS NULL THEN NULL ELSE {_seconds("left_at", "created_at")} END
        FROM ({stays}) stays WHERE to_state = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, Order.Status.ON_HOLD])
        rows = cursor.fetchall()
    reasons = Counter()
    for data, _took in rows:
        data = json.loads(data) if isinstance(data, str) else (data or {})
        failed = [check["name"] for check in data.get("checks", []) if check.get("result") == "failed"]
        for name in failed or ["put on hold by staff"]:
            reasons[name] += 1
    resolved = sorted(timedelta(seconds=round(float(took))) for _data, took in rows if took is not None)
    return reasons.most_common(REASONS), percentile(resolved, 0.5), len(resolved)


def _cancel_reasons(orders) -> list[tuple[str, int]]:
    rows = (
        OrderEvent.objects.filter(kind=OrderEvent.Kind.ORDER_CANCEL, order__in=orders.values("pk"))
        .values("note")
        .annotate(count=Count("pk"))
        .order_by("-count", "note")[:REASONS]
    )
    return [(row["note"].strip() or "no reason given", row["count"]) for row in rows]


def _on_time_dispatch(orders, today: date) -> Rate:
    parcels = figures.parcels_due(Shipment.objects.filter(order__in=orders.values("pk")), today=today)
    counts = parcels.aggregate(due=Count("pk"), on_time=Count("pk", filter=figures.DISPATCHED_ON_TIME))
    return Rate(counts["on_time"], counts["due"])


def _satisfaction(orders) -> tuple[Decimal | None, Rate, Rate]:
    """Feedback on the period's orders: average rating, share of low ratings, and the share of
    feedback requests answered."""
    given = Feedback.objects.filter(request__order__in=orders.values("pk")).aggregate(
        count=Count("pk"), low=Count("pk", filter=Q(overall_rating__lte=LOW_RATING)), total=Sum("overall_rating")
    )
    requests = FeedbackRequest.objects.filter(order__in=orders.values("pk")).aggregate(
        asked=Count("pk"), answered=Count("pk", filter=Q(responded_at__isnull=False))
    )
    average = (Decimal(given["total"]) / given["count"]).quantize(Decimal("0.01")) if given["count"] else None
    return average, Rate(given["low"], given["count"]), Rate(requests["answered"], requests["asked"])


def _top_products(orders) -> tuple[list[dict], list[dict]]:
    kept = orders.exclude(status=Order.Status.CANCELLED).values("pk")
    by_revenue = list(
        OrderLine.objects.filter(order__in=kept)
        .values("sku", "name")
        .annotate(revenue=Sum("net_amount"), units=Sum("quantity"))
        .order_by("-revenue", "sku")[:TOP]
    )
    by_returns = list(
        ReturnLine.objects.filter(request__order__in=orders.values("pk"))
        .values(sku=F("order_line__sku"), name=F("order_line__name"))
        .annotate(units=Sum("quantity"), returns=Count("request", distinct=True))
        .order_by("-units", "sku")[:TOP]
    )
    return by_revenue, by_returns


def _stock_now(period: Period) -> tuple[int, int]:
    levels = StockLevel.objects.filter(product__is_active=True)
    if period.warehouse_id:
        levels = levels.filter(warehouse_id=period.warehouse_id)
    return stock_levels_out(levels).count(), stock_levels_low(levels).count()


def dashboard(period: Period, *, today: date | None = None) -> Dashboard:
    """Every figure of the period. On PostgreSQL in a transaction without JIT: its queries are
    estimated costly enough for JIT compiling, which takes longer (about 0.2 s each at a million
    orders) than running them."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _dashboard(period, today=today or timezone.localdate())


def _dashboard(period: Period, *, today: date) -> Dashboard:
    orders = figures.orders_in(period)
    per_day = day_totals(period, today=today)
    placed = sum(day.orders for day in per_day)
    cycles = _cycle_times(orders)
    delivered = len(cycles)
    counts = orders.aggregate(
        **{key: Count("pk", filter=figures.ORDER_SETS[key].condition(today=today)) for key in COUNTED_SETS}
    )
    hold_reasons, hold_median, holds_resolved = _hold_figures(orders)
    average, low, response = _satisfaction(orders)
    by_revenue, by_returns = _top_products(orders)
    stock_out, stock_low = _stock_now(period)
    ageing = receivables(today=today, limit=0).buckets
    return Dashboard(
        period=period,
        money=_money(per_day),
        previous_money=_money(day_totals(period.previous(), today=today)),
        placed=placed,
        per_day=per_day,
        pipeline=_pipeline(period),
        cycle_median=percentile(cycles, 0.5),
        cycle_p90=percentile(cycles, 0.9),
        cycle_delivered=delivered,
        cycle_histogram=_cycle_histogram(cycles),
        stage_times=_stage_times(orders),
        on_time_dispatch=_on_time_dispatch(orders, today),
        perfect=Rate(counts["perfect"], delivered),
        backordered=Rate(counts["backordered"], placed),
        cancelled=Rate(counts["cancelled"], placed),
        cancel_reasons=_cancel_reasons(orders),
        held=Rate(counts["held"], placed),
        hold_reasons=hold_reasons,
        hold_resolution_median=hold_median,
        holds_resolved=holds_resolved,
        stock_out=stock_out,
        stock_low=stock_low,
        ageing=ageing,
        ageing_labels=BUCKET_LABELS,
        rating_average=average,
        low_ratings=low,
        feedback_response=response,
        top_by_revenue=by_revenue,
        top_by_returns=by_returns,
    )
