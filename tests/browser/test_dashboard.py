"""The manager's dashboard in a real browser, over the demo's history: the figures and the five
charts show, nothing breaks the Content-Security-Policy, it reads the same without JavaScript and
when printed, and a figure's link opens the orders behind it.

With UPDATE_SCREENSHOTS=1 the page replaces README's picture (docs/screenshots/dashboard.png)."""

import pytest
from django.core.management import call_command

from tests.browser.screenshots import save
from tests.browser.test_content_security_policy import watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(transactional_db):
    call_command("seed_demo", history=60, verbosity=0)


def sign_in_as_manager(page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("manager")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def test_the_dashboard_shows_figures_and_charts_with_or_without_javascript_and_in_print(new_page, history, out):
    page, problems = watched(new_page(viewport={"width": 1280, "height": 900}))
    sign_in_as_manager(page)
    page.get_by_test_id("dashboard-link").click()
    page.wait_for_load_state("load")
    problems.extend(page.evaluate("window.__cspViolations"))

    assert page.locator("svg.report-chart").count() == 5
    assert page.locator("svg.report-chart rect").count() > 30  # a bar per day, per stage, per band
    cycle = page.get_by_test_id("figure-cycle").inner_text()
    assert "day" in cycle and "90th percentile" in cycle
    assert problems == [], "\n".join(problems)
    save(page, out, "dashboard", full_page=True)

    page.get_by_test_id("figure-cancellations").get_by_role("link").first.click()
    page.wait_for_load_state("load")
    assert "dashboard figure" in page.locator("#changelist-filter").inner_text().lower()
    assert page.locator("#result_list tbody tr").count() >= 1

    # Without JavaScript, and on paper (one test: the history is slow to make)
    page = new_page(java_script_enabled=False)
    sign_in_as_manager(page)
    assert page.goto("/admin/reports/exportjob/dashboard/").status == 200

    assert page.locator("svg.report-chart").count() == 5
    page.emulate_media(media="print")
    assert page.locator("#header").is_hidden()  # the console's chrome is left off the paper
    assert page.get_by_test_id("figure-revenue").is_visible()
    assert page.locator("svg.report-chart").first.is_visible()
