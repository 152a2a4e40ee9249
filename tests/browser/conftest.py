"""Browser tests: Playwright's sync API driving Debian's chromium (never a downloaded browser)
against pytest-django's live server.

Without /usr/bin/chromium the tests are skipped, and fail when REQUIRE_SERVICES=1 (CI).
"""

import os
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.builders import catalogue_build

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still
# plain synchronous calls, so Django's async-safety guard must be told.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = "Debian's chromium is needed for the browser tests: apt-get install -y chromium"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} (REQUIRE_SERVICES=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh browser context (its own cookies, like another person's browser)."""
    contexts = []

    def open_page(*, java_script_enabled: bool = True, viewport=None):
        context = browser.new_context(
            base_url=live_server.url,
            java_script_enabled=java_script_enabled,
            viewport=viewport or {"width": 1200, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shop(transactional_db):
    """Products with stock, delivery methods and a voucher, visible to the live server."""
    from orders.models import DeliveryMethod, Voucher

    shop = catalogue_build()
    for code, name, fee, low, high, pickup, order in (
        ("standard", "Standard delivery", "4.95", 1, 3, False, 1),
        ("pickup", "Pick up in Amsterdam", "0.00", 0, 1, True, 2),
    ):
        DeliveryMethod.objects.create(
            code=code,
            name=name,
            fee=Decimal(fee),
            tax_rate=Decimal("0.21"),
            min_days=low,
            max_days=high,
            is_pickup=pickup,
            sort_order=order,
        )
    Voucher.objects.create(code="WELCOME10", percent_off=Decimal("10"))
    return SimpleNamespace(**vars(shop))


# -- where screenshots go: README's docs/screenshots/ with UPDATE_SCREENSHOTS=1 (tests/browser/screenshots.py) ---


@pytest.fixture
def out(tmp_path) -> Path:
    return README_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
