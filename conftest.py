"""Shared fixtures. Services (PostgreSQL, Redis) are optional locally and required in CI."""

import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

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
    from inventory.tests.factories import catalogue_build

    return catalogue_build()


@pytest.fixture
def customer(db):
    from orders.tests.factories import CustomerFactory

    return CustomerFactory()


@pytest.fixture
def staff_users(db):
    """One user in each staff group, as the data migration sets them up."""
    from django.apps import apps
    from django.contrib.auth.models import Group, User

    from orders_site.core.staff_groups import staff_groups_apply

    if not Group.objects.exists():  # a transactional test flushed the migration's rows
        staff_groups_apply(apps)

    users = {}
    for group_name in ("Warehouse", "Customer service", "Managers"):
        user = User.objects.create_user(username=group_name.lower().replace(" ", "_"), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group_name))
        users[group_name] = user
    return users


@pytest.fixture
def ledger_matches_levels():
    """Call at the end of a test: every level equals the sum of its movements and its open allocations."""
    from inventory.selectors import stock_audit_differences

    def check():
        differences = stock_audit_differences()
        assert differences == [], [d.describe() for d in differences]

    return check
