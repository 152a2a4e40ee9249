"""Shared fixtures. Services (PostgreSQL, Redis) are optional locally and required in CI."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from inventory.selectors import stock_audit_differences
from tests.builders import catalogue_build, customer_build, staff_member

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _missing(what: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture
def require_postgres():
    if connection.vendor != "postgresql":
        _missing("PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def require_redis():
    url = settings.REDIS_URL
    if not url or not _reachable(url, 6379):
        _missing("Redis (set REDIS_URL)")
    return url


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def catalogue(db):
    """Two warehouses, a tax class, three physical products with stock and an assembly service."""
    return catalogue_build()


@pytest.fixture
def customer(db):
    return customer_build()


@pytest.fixture
def staff_users(db):
    """One user in each staff group, as the data migration sets them up (the staff members
    tests.builders.order_build presses the buttons with)."""
    return {group: staff_member(group) for group in ("Warehouse", "Customer service", "Managers")}


@pytest.fixture
def browser_as(staff_users):
    """A logged-in Django test client for a member of the named staff group: browser_as("Managers")."""

    def make(group: str) -> Client:
        client = Client()
        client.force_login(staff_users[group])
        return client

    return make


@pytest.fixture
def ledger_matches_levels():
    """Call at the end of a test: every level equals the sum of its movements and its open allocations."""

    def check():
        differences = stock_audit_differences()
        assert differences == [], [d.describe() for d in differences]

    return check
