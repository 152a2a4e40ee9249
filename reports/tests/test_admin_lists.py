"""The reports' own lists in the console (export jobs, the daily roll-up): the same queries for 3
rows as for 15, and a manager sees only their own export jobs."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.rollup import rollup_rebuild
from reports.services import export_job_request

pytestmark = pytest.mark.django_db

JOBS = reverse("admin:reports_exportjob_changelist")
DAYS = reverse("admin:reports_dailyfigures_changelist")


def queries_and_rows(browser, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return len(captured), len(response.context["cl"].result_list)


def test_the_export_job_list_runs_the_same_queries_for_3_jobs_as_for_15(browser_as, staff_users):
    browser = browser_as("Managers")
    for _ in range(3):
        export_job_request(user=staff_users["Managers"], kind="orders", file_format="csv", query="", rows_total=9)
    browser.get(JOBS)
    three = queries_and_rows(browser, JOBS)
    for _ in range(12):
        export_job_request(user=staff_users["Managers"], kind="invoices", file_format="xlsx", query="", rows_total=9)
    fifteen = queries_and_rows(browser, JOBS)

    assert (three[1], fifteen[1]) == (3, 15)
    assert three[0] == fifteen[0]


def test_a_manager_sees_their_own_export_jobs_only(browser_as, staff_users, admin_user):
    export_job_request(user=admin_user, kind="orders", file_format="csv", query="", rows_total=9)

    assert queries_and_rows(browser_as("Managers"), JOBS)[1] == 0
    assert browser_as("Warehouse").get(JOBS).status_code == 403


def test_the_roll_up_list_runs_the_same_queries_for_few_days_as_for_many(admin_client):
    # Every channel of each day has a row: 6 channels x 1 day, then x 3 days.
    rollup_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 1))
    admin_client.get(DAYS)
    one_day = queries_and_rows(admin_client, DAYS)
    rollup_rebuild(first_day=date(2026, 11, 1), last_day=date(2026, 11, 1) + timedelta(days=2))
    three_days = queries_and_rows(admin_client, DAYS)

    assert (one_day[1], three_days[1]) == (6, 18)
    assert one_day[0] == three_days[0]
