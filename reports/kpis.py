"""The manager's dashboard: every figure over a period, each with the rule it is computed by.

Figures are read from the orders, their timeline (OrderEvent), parcels, invoices, returns and
feedback; the order and revenue totals per day come from the daily roll-up for days it holds
(reports.rollup), else from the orders. The number of queries does not depend on the number of
orders: each figure is one aggregate (or a percentile read by rank), and lists are capped.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from feedback.models import Feedback, FeedbackRequest
from inventory.models import StockLevel
from inventory.selectors import stock_levels_low, stock_levels_out
from invoicing.receivables import BUCKET_LABELS, receivables
from orders.models import Order, OrderEvent, OrderLine, ReturnLine, Shipment

from . import figures
from .periods import Period
from .rollup import DayFigures, day_totals, money_of

LOW_RATING = 2  # a rating of 2 stars or fewer is low
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


def percentile(values_query, fraction: float) -> timedelta | None:
    """The `fraction` percentile of an ordered one-column query, interpolated between the two
    nearest ranks (what PostgreSQL's percentile_cont returns), read by rank: one count and one
    two-row slice, whatever the number of rows."""
    count = values_query.count()
    if not count:
        return None
    position = fraction * (count - 1)
    low = int(position)
    rows = list(values_query[low : low + 2])
    if len(rows) == 1 or position == low:
        return rows[0]
    return rows[0] + (rows[1] - rows[0]) * (position - low)


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


def _delivered_with_cycle(orders):
    """Delivered orders, each with its cycle time: placement to its first "delivered" event."""
    first_delivered = (
        OrderEvent.objects.filter(order=OuterRef("pk"), kind__in=figures.DELIVERED)
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )
    return (
        orders.annotate(delivered_at=Subquery(first_delivered))
        .filter(delivered_at__isnull=False)
        .annotate(cycle=ExpressionWrapper(F("delivered_at") - F("placed_at"), output_field=DurationField()))
    )


def _cycle_times(orders):
    """Cycle times of the delivered orders, shortest first."""
    return _delivered_with_cycle(orders).order_by("cycle", "pk").values_list("cycle", flat=True)


# Bands of the cycle-time chart, in days: [0, 1), [1, 2), ... and the last one open.
CYCLE_BANDS = (1, 2, 3, 5, 8)


def _cycle_histogram(orders) -> list[tuple[str, int]]:
    """Delivered orders per band of cycle time, in one query."""
    counts, lower = {}, 0
    for upper in CYCLE_BANDS:
        label = "under 1 day" if lower == 0 else f"{lower}-{upper} days"
        counts[label] = Count("pk", filter=Q(cycle__gte=timedelta(days=lower), cycle__lt=timedelta(days=upper)))
        lower = upper
    counts[f"{lower} days or more"] = Count("pk", filter=Q(cycle__gte=timedelta(days=lower)))
    keys = {f"band{n}": (label, expression) for n, (label, expression) in enumerate(counts.items())}
    row = _delivered_with_cycle(orders).aggregate(**{key: expression for key, (_, expression) in keys.items()})
    return [(label, row[key]) for key, (label, _) in keys.items()]


def _seconds(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def _stage_times(orders) -> list[StageTime]:
    """The average stay in each stage: from the event that moved the order into it to the next
    event that moved it on (stays still going are not counted). One query with a window."""
    event_table = OrderEvent._meta.db_table
    inner, params = orders.values("pk").query.sql_with_params()
    sql = f"""
        SELECT to_state, COUNT(*), AVG({_seconds("left_at", "created_at")})
        FROM (
            SELECT e.to_state, e.created_at,
                   LEAD(e.created_at) OVER (PARTITION BY e.order_id ORDER BY e.created_at, e.id) AS left_at
            FROM {event_table} e
            WHERE e.object_type = 'order' AND e.to_state <> '' AND e.order_id IN ({inner})
        ) stays
        WHERE left_at IS NOT NULL
        GROUP BY to_state
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
    """Why orders were held (the checks that failed, per hold), and the median time from the hold to
    the next change of state (released, back-ordered or cancelled)."""
    moved_on = (
        OrderEvent.objects.filter(
            order_id=OuterRef("order_id"), object_type="order", created_at__gt=OuterRef("created_at")
        )
        .exclude(to_state="")
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )
    holds = OrderEvent.objects.filter(kind__in=figures.HELD, order__in=orders.values("pk"))
    reasons = Counter()
    for data in holds.values_list("data", flat=True):
        failed = [check["name"] for check in (data or {}).get("checks", []) if check.get("result") == "failed"]
        for name in failed or ["put on hold by staff"]:
            reasons[name] += 1
    resolved = (
        holds.annotate(moved_on=Subquery(moved_on))
        .filter(moved_on__isnull=False)
        .annotate(took=ExpressionWrapper(F("moved_on") - F("created_at"), output_field=DurationField()))
        .order_by("took", "pk")
        .values_list("took", flat=True)
    )
    return reasons.most_common(REASONS), percentile(resolved, 0.5), resolved.count()


def _cancel_reasons(orders) -> list[tuple[str, int]]:
    rows = (
        OrderEvent.objects.filter(kind=OrderEvent.Kind.ORDER_CANCEL, order__in=orders.values("pk"))
        .values("note")
        .annotate(count=Count("pk"))
        .order_by("-count", "note")[:REASONS]
    )
    return [(row["note"].strip() or "no reason given", row["count"]) for row in rows]


def _on_time_dispatch(orders) -> Rate:
    parcels = figures.parcels_due(Shipment.objects.filter(order__in=orders.values("pk")))
    return Rate(figures.parcels_on_time(parcels).count(), parcels.count())


def _satisfaction(period: Period, orders) -> tuple[Decimal | None, Rate, Rate]:
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
    today = today or timezone.localdate()
    orders = figures.orders_in(period)
    per_day = day_totals(period, today=today)
    placed = sum(day.orders for day in per_day)
    delivered = figures.delivered(orders).count()
    cycles = _cycle_times(orders)
    cancel_count = figures.cancelled(orders).count()
    hold_reasons, hold_median, holds_resolved = _hold_figures(orders)
    average, low, response = _satisfaction(period, orders)
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
        cycle_histogram=_cycle_histogram(orders),
        stage_times=_stage_times(orders),
        on_time_dispatch=_on_time_dispatch(orders),
        perfect=Rate(figures.perfect(orders).count(), delivered),
        backordered=Rate(figures.backordered(orders).count(), placed),
        cancelled=Rate(cancel_count, placed),
        cancel_reasons=_cancel_reasons(orders),
        held=Rate(figures.held(orders).count(), placed),
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
