"""`make run`'s demo shows the manager something real: seed_demo's history (a smaller one here, the
same story generator) puts orders over 90 days with holds, cancellations, late dispatches, returns,
unpaid invoices and feedback on the dashboard."""

import pytest
from django.core.management import call_command

from reports.kpis import dashboard
from reports.periods import Period

pytestmark = pytest.mark.django_db


def test_the_demo_history_fills_every_part_of_the_dashboard():
    call_command("seed_demo", history=120, verbosity=0)

    figures = dashboard(Period.last_days(90))

    assert figures.placed >= 120
    assert sum(1 for day in figures.per_day if day.orders) >= 60  # spread over the 90 days
    assert figures.cycle_delivered >= 50
    assert figures.cycle_median is not None and figures.cycle_p90 > figures.cycle_median
    assert 0 < figures.on_time_dispatch.part < figures.on_time_dispatch.whole  # some went late
    assert 0 < figures.perfect.part < figures.perfect.whole
    assert figures.cancelled.part > 0 and figures.cancel_reasons
    assert figures.held.part > 0 and figures.hold_resolution_median is not None
    assert figures.rating_average is not None and figures.low_ratings.part > 0
    assert 0 < figures.feedback_response.part < figures.feedback_response.whole
    assert figures.top_by_returns
    assert figures.overdue > 0  # invoices left unpaid past their due date
    stays = {stage.status for stage in figures.stage_times}
    assert {"verified", "in_fulfillment", "shipped", "on_hold"} <= stays
