"""Concurrency tests: real threads on PostgreSQL, each with its own connection."""

import pytest


@pytest.fixture(autouse=True)
def _postgres_only(require_postgres):
    """SQLite serialises writers and ignores SELECT ... FOR UPDATE: these tests mean nothing there."""


@pytest.fixture
def staff_users(transactional_db, staff_users):
    """The root fixture's users, in a transactional database (it re-creates the flushed groups)."""
    return staff_users
