"""Webhooks in the console: a manager subscribes a receiver and sees its signing secret; the
delivery log shows what came back and resends an event with its id; other groups see none of it;
the log's queries do not grow with its rows."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import order_build
from tests.webhook_receiver import Receiver
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.subscriptions import webhook_subscription_create

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = reverse("admin:webhooks_webhooksubscription_changelist")
DELIVERIES = reverse("admin:webhooks_webhookdelivery_changelist")


def test_a_manager_subscribes_a_receiver_and_sees_its_secret(browser_as):
    manager = browser_as("Managers")

    response = manager.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {"name": "ERP", "url": "https://erp.example.com/hooks", "event_types": ["order.placed", "stock.low"]},
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert (subscription.name, subscription.event_types) == ("ERP", ["order.placed", "stock.low"])
    assert subscription.secret.startswith("whsec_")
    page = response.content.decode()
    assert subscription.secret in page and "Give the receiver its signing secret" in page


def test_a_subscription_needs_a_url_and_an_event(browser_as):
    response = browser_as("Managers").post(
        reverse("admin:webhooks_webhooksubscription_add"), {"name": "ERP", "url": "not a url", "event_types": []}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Enter a valid URL." in errors["url"] and "This field is required." in errors["event_types"]
    assert not WebhookSubscription.objects.exists()


def test_turning_a_disabled_subscription_on_clears_why_it_was_off(browser_as):
    subscription = webhook_subscription_create(
        name="ERP", url="https://erp.example.com/h", event_types=["order.placed"]
    )
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, failures_in_a_row=14, disabled_reason="order.placed evt_1 failed for 24 hours"
    )

    browser_as("Managers").post(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk]),
        {"name": "ERP", "url": "https://erp.example.com/h", "event_types": ["order.placed"], "is_active": "on"},
    )

    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.failures_in_a_row, subscription.disabled_reason) == (True, 0, "")


def test_the_delivery_log_shows_the_answer_and_resend_posts_the_same_event(
    browser_as, catalogue, django_capture_on_commit_callbacks
):
    manager = browser_as("Managers")
    with Receiver(answers=[500, 200]) as receiver:
        webhook_subscription_create(name="ERP", url=receiver.url, event_types=["order.placed"])
        with django_capture_on_commit_callbacks(execute=True):
            order_build(lines=[(catalogue.chair, 1)])
        delivery = WebhookDelivery.objects.get()

        log = manager.get(DELIVERIES, {"subscription__id__exact": delivery.subscription_id}).content.decode()
        assert delivery.event_id in log and "receiver broke: try later" in log

        page = manager.get(reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])).content.decode()
        assert 'data-testid="resend"' in page
        with django_capture_on_commit_callbacks(execute=True):
            response = manager.post(reverse("admin:webhooks_webhookdelivery_resend", args=[delivery.pk]), follow=True)

    assert "is being sent again" in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code) == ("succeeded", 200)
    assert [json.loads(body)["id"] for _h, body in receiver.received] == [delivery.event_id] * 2


def test_resending_for_a_subscription_that_is_off_says_to_turn_it_on(browser_as, catalogue):
    subscription = webhook_subscription_create(name="ERP", url="http://127.0.0.1:9/h", event_types=["order.placed"])
    order_build(lines=[(catalogue.chair, 1)])
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
    delivery = WebhookDelivery.objects.get()

    response = browser_as("Managers").post(
        reverse("admin:webhooks_webhookdelivery_resend", args=[delivery.pk]), follow=True
    )

    assert "turn it on before resending" in response.content.decode()


@pytest.mark.parametrize("group", ["Warehouse", "Customer service"])
def test_other_groups_see_no_webhooks(browser_as, group):
    client = browser_as(group)
    assert client.get(SUBSCRIPTIONS).status_code == 403
    assert client.get(DELIVERIES).status_code == 403


def _log_queries(client, url=DELIVERIES) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_delivery_log_costs_the_same_queries_for_one_row_and_for_a_page(browser_as, catalogue):
    manager = browser_as("Managers")
    webhook_subscription_create(name="ERP", url="http://127.0.0.1:9/h", event_types=["order.placed"])
    webhook_subscription_create(name="CRM", url="http://127.0.0.1:9/c", event_types=["order.placed"])
    order_build(lines=[(catalogue.chair, 1)])
    one = _log_queries(manager)
    for _ in range(4):
        order_build(lines=[(catalogue.book, 1)])
    assert WebhookDelivery.objects.count() == 10
    assert _log_queries(manager) == one


def test_the_subscription_list_costs_the_same_queries_for_one_and_for_many(browser_as):
    manager = browser_as("Managers")
    webhook_subscription_create(name="ERP", url="http://127.0.0.1:9/h", event_types=["order.placed"])
    one = _log_queries(manager, SUBSCRIPTIONS)
    for n in range(5):
        webhook_subscription_create(name=f"CRM {n}", url="http://127.0.0.1:9/c", event_types=["stock.low"])
    assert _log_queries(manager, SUBSCRIPTIONS) == one
