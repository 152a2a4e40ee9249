"""Concurrency tests: real threads on PostgreSQL, each with its own connection (SPEC §5)."""

import pytest


@pytest.fixture(autouse=True)
def _postgres_only(require_postgres):
    """SQLite serialises writers and ignores SELECT ... FOR UPDATE: these tests mean nothing there."""


@pytest.fixture
def staff_users(transactional_db):
    """One user per staff group. A transactional test starts from an emptied database (flush), so the
    groups the data migration made are created again first."""
    from django.apps import apps
    from django.contrib.auth.models import Group, User

    from orders_site.core.staff_groups import staff_groups_apply

    staff_groups_apply(apps)
    users = {}
    for group_name in ("Warehouse", "Customer service", "Managers"):
        user = User.objects.create_user(username=group_name.lower().replace(" ", "_"), password="pw", is_staff=True)
        user.groups.add(Group.objects.get(name=group_name))
        users[group_name] = user
    return users
