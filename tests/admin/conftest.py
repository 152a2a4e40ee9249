import pytest


@pytest.fixture
def staff_client(browser_as):
    """A logged-in browser for a member of the named staff group (the root conftest's browser_as,
    under the name the console's tests use)."""
    return browser_as
