"""API keys in the console: a manager makes one and sees it once, only its hash is kept, revoking
stops it at once; other groups do not see the keys; the list's queries do not grow with keys."""

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from api.idempotency import idempotency_records_expire
from api.keys import api_key_create
from api.models import ApiKey, IdempotencyRecord

pytestmark = pytest.mark.django_db

NEW = reverse("admin:api_apikey_new")
KEYS = reverse("admin:api_apikey_changelist")


def test_a_manager_makes_a_key_sees_it_once_and_it_works(browser_as, client):
    manager = browser_as("Managers")

    page = manager.post(NEW, {"name": "ERP", "scopes": ["orders:read", "stock:read"]}).content.decode()

    raw = page.split('data-testid="api-key">')[1].split("<")[0]
    key = ApiKey.objects.get()
    assert (key.name, key.scopes) == ("ERP", ["orders:read", "stock:read"])
    assert raw not in str(ApiKey.objects.values().get())  # only its hash is stored
    assert key.secret_hash == hashlib.sha256(raw.split("_", 2)[2].encode()).hexdigest()
    assert client.get(reverse("api:orders"), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert raw not in manager.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()

    manager.post(KEYS, {"action": "revoke_selected", "_selected_action": [key.pk]})
    assert client.get(reverse("api:orders"), HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_key_needs_a_name_and_a_scope(browser_as):
    response = browser_as("Managers").post(NEW, {"name": "", "scopes": []})

    assert set(response.context["form"].errors) == {"name", "scopes"}
    assert not ApiKey.objects.exists()


def test_other_groups_do_not_see_or_make_keys(browser_as):
    for group in ("Warehouse", "Customer service"):
        browser = browser_as(group)
        assert browser.get(KEYS).status_code == 403
        assert browser.post(NEW, {"name": "x", "scopes": ["orders:read"]}).status_code == 302
    assert not ApiKey.objects.exists()


def test_the_key_list_runs_the_same_queries_for_3_keys_as_for_15(browser_as):
    manager = browser_as("Managers")
    for n in range(3):
        api_key_create(name=f"Key {n}", scopes=["orders:read"])
    manager.get(KEYS)
    with CaptureQueriesContext(connection) as three:
        manager.get(KEYS)
    for n in range(12):
        api_key_create(name=f"More {n}", scopes=["stock:read"])
    with CaptureQueriesContext(connection) as fifteen:
        response = manager.get(KEYS)

    assert len(response.context["cl"].result_list) == 15
    assert len(three) == len(fifteen)


def test_the_stored_answers_list_runs_the_same_queries_for_3_as_for_15(browser_as):
    manager = browser_as("Managers")
    key, _raw = api_key_create(name="ERP", scopes=["orders:write"])
    answers = reverse("admin:api_idempotencyrecord_changelist")

    def store(count, start):
        for n in range(start, start + count):
            IdempotencyRecord.objects.create(
                api_key=key, key=f"k{n}", request_hash="h", status_code=201, response_body={}
            )

    store(3, 0)
    manager.get(answers)
    with CaptureQueriesContext(connection) as three:
        manager.get(answers)
    store(12, 3)
    with CaptureQueriesContext(connection) as fifteen:
        response = manager.get(answers)

    assert len(response.context["cl"].result_list) == 15
    assert len(three) == len(fifteen)
    assert browser_as("Customer service").get(answers).status_code == 403


def test_stored_answers_expire_after_a_day(settings):
    key, _raw = api_key_create(name="ERP", scopes=["orders:write"])
    IdempotencyRecord.objects.create(api_key=key, key="old", request_hash="x", status_code=201, response_body={})
    IdempotencyRecord.objects.create(api_key=key, key="new", request_hash="y", status_code=201, response_body={})
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timezone.timedelta(hours=25))

    assert idempotency_records_expire() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
