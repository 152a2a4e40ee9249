import pytest
from django.test import Client


@pytest.fixture
def staff_client(staff_users):
    """A logged-in browser for a member of the named staff group."""

    def make(group: str) -> Client:
        browser = Client()
        browser.force_login(staff_users[group])
        return browser

    return make
