import pytest
from django.test import Client


@pytest.fixture
def browser_as(staff_users):
    """A logged-in Django test client for a member of the named staff group."""

    def make(group: str) -> Client:
        client = Client()
        client.force_login(staff_users[group])
        return client

    return make
