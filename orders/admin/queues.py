"""Reads behind the on-hold queue: why each held order is held, from its latest check results."""

from django.contrib import admin
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from orders.models import Order, OrderCheck


def order_checks_current() -> QuerySet[OrderCheck]:
    """Each order's current check results: every (re-)verification replaces the order's check rows
    (earlier runs stay in their events' data), so all rows are current."""
    return OrderCheck.objects.all()


def hold_reason_names() -> list[str]:
    """The check names that currently hold at least one order (stock, customer, pricing, risk...)."""
    return list(
        order_checks_current()
        .filter(result=OrderCheck.Result.FAILED, order__status=Order.Status.ON_HOLD)
        .values_list("name", flat=True)
        .distinct()
        .order_by("name")
    )


def orders_held_for(queryset: QuerySet[Order], *, reason: str) -> QuerySet[Order]:
    failed_now = order_checks_current().filter(order=OuterRef("pk"), name=reason, result=OrderCheck.Result.FAILED)
    return queryset.filter(status=Order.Status.ON_HOLD).filter(Exists(failed_now))


def hold_checks_prefetch() -> Prefetch:
    """Check rows of held orders only, in the order they ran, as `order.hold_checks`."""
    return Prefetch(
        "checks",
        queryset=OrderCheck.objects.filter(order__status=Order.Status.ON_HOLD).order_by("pk"),
        to_attr="hold_checks",
    )


def hold_reasons_of(order: Order) -> list[OrderCheck]:
    """The failed latest checks of a held order (needs `hold_checks_prefetch()`)."""
    latest: dict[str, OrderCheck] = {}
    for check in getattr(order, "hold_checks", []):
        latest[check.name] = check
    return [check for check in latest.values() if check.result == OrderCheck.Result.FAILED]


class HoldReasonFilter(admin.SimpleListFilter):
    title = "hold reason"
    parameter_name = "hold_reason"

    def lookups(self, request, model_admin):
        return [(name, name.replace("_", " ").capitalize()) for name in hold_reason_names()]

    def queryset(self, request, queryset):
        if self.value():
            return orders_held_for(queryset, reason=self.value())
        return queryset
