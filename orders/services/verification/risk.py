"""Risk rules: orders a person should look at before they ship. Thresholds come from
`RiskRules.current()`, which managers edit; a threshold of 0 turns its rule off.

Each rule returns the reason it fires, or None. Orders of the same customer are those of the same
customer record (guest checkouts with one e-mail address share one).
"""

from collections import Counter
from datetime import timedelta

from django.utils import timezone

from ...models import Order, OrderCheck, OrderLine, RiskRules
from .checks import CheckOutcome, _join


def _placed_at(order: Order):
    return order.placed_at or order.created_at or timezone.now()


def _same_customer(order: Order):
    # By customer only: the index on customer_id keeps this cheap with millions of orders, and a
    # guest's checkouts share one customer record per e-mail address (customer_for_guest).
    return (
        Order.objects.filter(customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .exclude(status__in=[Order.Status.DRAFT, Order.Status.CANCELLED])
        .exclude(placed_at=None)
    )


def rule_large_order(order: Order, rules: RiskRules) -> str | None:
    if rules.large_order_total and order.total > rules.large_order_total:
        return f"large order: total {order.total} is above {rules.large_order_total}"
    return None


def rule_first_order(order: Order, rules: RiskRules) -> str | None:
    if not rules.first_order_total or order.total <= rules.first_order_total:
        return None
    if _same_customer(order).filter(placed_at__lt=_placed_at(order)).exists():
        return None
    return f"first order of this customer, total {order.total} is above {rules.first_order_total}"


def rule_country_mismatch(order: Order, rules: RiskRules) -> str | None:
    if not rules.hold_country_mismatch or order.shipping_address is None:
        return None
    billing = (order.billing_address.country or "").strip().upper()
    shipping = (order.shipping_address.country or "").strip().upper()
    if billing and shipping and billing != shipping:
        return f"billing country {billing} differs from delivery country {shipping}"
    return None


def recent_orders(order: Order, rules: RiskRules) -> list[Order]:
    """The customer's other orders placed within the longer of the velocity and duplicate windows,
    newest first: one read that both rules share (id, number and time only)."""
    minutes = max(rules.velocity_window_minutes if rules.velocity_max_orders else 0, rules.duplicate_window_minutes)
    if not minutes:
        return []
    placed_at = _placed_at(order)
    return list(
        _same_customer(order)
        .filter(placed_at__gte=placed_at - timedelta(minutes=minutes), placed_at__lte=placed_at)
        .order_by("-placed_at", "-pk")
        .only("pk", "number", "placed_at")
    )


def rule_velocity(order: Order, rules: RiskRules, recent: list[Order]) -> str | None:
    if not rules.velocity_max_orders or not rules.velocity_window_minutes:
        return None
    since = _placed_at(order) - timedelta(minutes=rules.velocity_window_minutes)
    count = sum(other.placed_at > since for other in recent) + 1
    if count > rules.velocity_max_orders:
        return (
            f"{count} orders from this customer within {rules.velocity_window_minutes} minutes "
            f"(more than {rules.velocity_max_orders})"
        )
    return None


def _line_signature(lines) -> Counter:
    return Counter((line.product_id, line.sku, line.quantity) for line in lines)


def rule_duplicate(order: Order, rules: RiskRules, recent: list[Order]) -> str | None:
    if not rules.duplicate_window_minutes:
        return None
    since = _placed_at(order) - timedelta(minutes=rules.duplicate_window_minutes)
    candidates = [other for other in recent if other.placed_at >= since]
    if not candidates:
        return None
    signature = _line_signature(order.lines.all())
    lines_of: dict[int, list[OrderLine]] = {other.pk: [] for other in candidates}
    for line in OrderLine.objects.filter(order_id__in=lines_of).only("order_id", "product_id", "sku", "quantity"):
        lines_of[line.order_id].append(line)
    for other in candidates:
        if _line_signature(lines_of[other.pk]) == signature:
            return f"probable duplicate of order {other.number} placed {other.placed_at:%H:%M} with the same lines"
    return None


RISK_RULES = [rule_large_order, rule_first_order, rule_country_mismatch]
RECENT_ORDER_RULES = [rule_velocity, rule_duplicate]  # these also take the customer's recent orders


def check_risk(order: Order, actor) -> CheckOutcome:
    rules = RiskRules.current()
    recent = recent_orders(order, rules)
    reasons = [reason for rule in RISK_RULES if (reason := rule(order, rules))]
    reasons += [reason for rule in RECENT_ORDER_RULES if (reason := rule(order, rules, recent))]
    if reasons:
        return CheckOutcome("risk", OrderCheck.Result.FAILED, _join(reasons))
    return CheckOutcome("risk", OrderCheck.Result.PASSED, "No risk rule applies")
