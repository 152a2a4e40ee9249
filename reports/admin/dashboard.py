"""The manager's dashboard page: the figures of reports.kpis over the chosen period, each with the
rule it is computed by and a link to the orders behind it, and the charts."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse

from orders_site.core.formatting import money_display

from ..charts import Bar, bars_across, bars_over_time
from ..exports import EXPORTS
from ..forms import PeriodForm
from ..kpis import dashboard
from ..periods import Period

PERMISSION = "reports.view_dashboard"


def orders_url(period: Period | None, **params) -> str:
    """The order list showing these orders: the period's, narrowed by `params` (report=..., status)."""
    query = {**(period.order_list_params() if period else {}), **{k: v for k, v in params.items() if v}}
    return reverse("admin:orders_order_changelist") + "?" + urlencode(query)


def duration_display(value: timedelta | None) -> str:
    """ "2 days 4 hours", "5 hours 10 minutes", "12 minutes"; "–" for none."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)

    def unit(count: int, name: str) -> str:
        return f"{count} {name}{'' if count == 1 else 's'}"

    if days:
        return unit(days, "day") + (f" {unit(hours, 'hour')}" if hours else "")
    if hours:
        return unit(hours, "hour") + (f" {unit(minutes, 'minute')}" if minutes else "")
    return unit(minutes, "minute")


def change_display(now: Decimal | int, before: Decimal | int) -> str:
    if not before:
        return "no orders in the period before" if not now else "new (none in the period before)"
    change = (Decimal(now) - Decimal(before)) * 100 / Decimal(before)
    return f"{change:+.1f}% on the period before"


def _charts(figures, currency: str) -> dict:
    days = figures.per_day
    return {
        "orders_per_day": bars_over_time(
            "Orders placed per day", [Bar(f"{day.day:%d %b}", day.orders, str(day.orders)) for day in days]
        ),
        "revenue_per_day": bars_over_time(
            "Revenue per day (what customers pay, cancelled orders left out)",
            [Bar(f"{day.day:%d %b}", float(day.total), money_display(day.total, currency)) for day in days],
        ),
        "pipeline": bars_across(
            "Orders in each stage now",
            [Bar(stage.label, stage.orders, str(stage.orders)) for stage in figures.pipeline],
        ),
        "cycle": bars_across(
            "Delivered orders by cycle time",
            [Bar(label, count, str(count)) for label, count in figures.cycle_histogram],
        ),
        "ageing": bars_across(
            "Open invoices by days overdue",
            [
                Bar(figures.ageing_labels[key], float(amount), money_display(amount, currency))
                for key, amount in figures.ageing.items()
            ],
        ),
    }


def dashboard_context(request) -> dict:
    currency = settings.CURRENCY
    form = PeriodForm(request.GET or None)
    period = form.period()
    figures = dashboard(period)
    money, before = figures.money, figures.previous_money
    return {
        "form": form,
        "period": period,
        "figures": figures,
        "currency": currency,
        "charts": _charts(figures, currency),
        "revenue_change": change_display(money.total, before.total),
        "orders_change": change_display(money.orders, before.orders),
        "cycle_median": duration_display(figures.cycle_median),
        "cycle_p90": duration_display(figures.cycle_p90),
        "hold_median": duration_display(figures.hold_resolution_median),
        "stage_times": [(stage, duration_display(stage.average)) for stage in figures.stage_times],
        "links": {
            "placed": orders_url(period),
            **{key: orders_url(period, report=key) for key in ("cancelled", "held", "backordered", "delivered")},
            **{key: orders_url(period, report=key) for key in ("late_dispatch", "perfect", "not_perfect", "returned")},
            "stock_out": reverse("admin:inventory_stocklevel_changelist") + "?stock=out",
            "stock_low": reverse("admin:inventory_stocklevel_changelist") + "?stock=low",
            "receivables": reverse("admin:invoicing_receivables"),
            "feedback": reverse("admin:feedback_feedback_changelist"),
        },
        "exports": [
            {
                "label": export.label,
                "csv": reverse("admin:reports_export", args=[export.key]) + f"?format=csv&{period.as_query()}",
                "xlsx": reverse("admin:reports_export", args=[export.key]) + f"?format=xlsx&{period.as_query()}",
                "dated": export.date_field is not None,
            }
            for export in EXPORTS.values()
        ],
        "pipeline_rows": [(stage, orders_url(None, status__exact=stage.status)) for stage in figures.pipeline],
        "ageing_rows": [(figures.ageing_labels[key], amount) for key, amount in figures.ageing.items()],
    }


class DashboardPagesMixin:
    """For the export job admin: /dashboard/."""

    def dashboard_view(self, request):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Manager's dashboard",
            **dashboard_context(request),
        }
        return TemplateResponse(request, "admin/reports/dashboard.html", context)
