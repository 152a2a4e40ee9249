"""Outbound webhooks against a real HTTP receiver on 127.0.0.1: what a change sends, signed and
with its event id; a 500 retried later; a dead receiver retried with back-off for a day, then
turned off with the managers told; nothing for a change that rolled back."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders.models import Order
from tests.builders import order_advance, order_build, staff_member
from tests.webhook_receiver import Receiver, dead_url
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.sending import webhook_deliveries_queue_due, webhook_delivery_resend
from webhooks.subscriptions import webhook_subscription_create

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What README's "Integrating" section tells a receiver to do (five lines there)."""
    timestamp = headers["Webhook-Timestamp"]
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(expected, headers["Webhook-Signature"])


def subscribe(url: str, *types: str) -> WebhookSubscription:
    return webhook_subscription_create(name="ERP", url=url, event_types=list(types) or ["order.placed"])


def place(catalogue, capture):
    with capture(execute=True):
        return order_build(lines=[(catalogue.chair, 1)])


def time_passes_until_next_attempt(delivery: WebhookDelivery) -> timedelta:
    """The clock moves on to the delivery's next attempt (its times move back by the wait)."""
    delivery.refresh_from_db()
    wait = delivery.next_attempt_at - timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=F("next_attempt_at") - wait, retry_until=F("retry_until") - wait
    )
    return wait


def test_a_placed_order_is_posted_signed_with_its_event_id(catalogue, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        subscription = subscribe(receiver.url, "order.placed", "order.verified")

        order = place(catalogue, django_capture_on_commit_callbacks)

    assert len(receiver.received) == 2
    events = []
    for headers, body in receiver.received:
        assert verify(subscription.secret, headers, body)
        assert not verify("whsec_someone-else", headers, body)
        event = json.loads(body)
        assert headers["Webhook-Id"] == event["id"] and headers["Webhook-Event"] == event["type"]
        events.append(event)
    assert [(e["type"], e["data"]["order"]["number"], e["data"]["order"]["status"]) for e in events] == [
        ("order.placed", order.number, "placed"),
        ("order.verified", order.number, "verified"),
    ]
    assert events[0]["data"]["order"]["total"] == str(order.total)
    assert len({e["id"] for e in events}) == 2
    assert set(WebhookDelivery.objects.values_list("status", "last_status_code")) == {("succeeded", 200)}


def test_a_receiver_answering_500_gets_the_same_event_again_later(catalogue, django_capture_on_commit_callbacks):
    with Receiver(answers=[500, 200]) as receiver:
        subscribe(receiver.url)
        place(catalogue, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.last_response == "receiver broke: try later"
        assert timedelta(seconds=25) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)

        assert webhook_deliveries_queue_due() == 0  # not due yet: nothing posted again
        time_passes_until_next_attempt(delivery)
        assert webhook_deliveries_queue_due() == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 2, 200)
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at")] == [500, 200]
    first, second = (json.loads(body)["id"] for _headers, body in receiver.received)
    assert first == second == delivery.event_id  # the receiver can drop the duplicate


def test_a_dead_receiver_is_retried_with_back_off_for_a_day_then_turned_off(
    catalogue, django_capture_on_commit_callbacks
):
    manager = staff_member("Managers")
    manager.email = "manager@example.com"
    manager.save()
    subscription = subscribe(dead_url())
    place(catalogue, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    waits = []
    with django_capture_on_commit_callbacks(execute=True):  # the managers' e-mail goes after commit
        while delivery.status == WebhookDelivery.Status.PENDING:
            waits.append(time_passes_until_next_attempt(delivery).total_seconds())
            webhook_deliveries_queue_due()
            delivery.refresh_from_db()

    assert [round(w) for w in waits[:6]] == [30, 60, 120, 240, 480, 960]  # doubling
    assert max(waits) <= 4 * 3600 + 1 and 20 * 3600 < sum(waits) <= 24 * 3600  # for a day, then no more
    assert (delivery.status, delivery.attempts) == ("failed", len(waits) + 1)
    assert "Connection refused" in delivery.last_error
    subscription.refresh_from_db()
    assert not subscription.is_active and subscription.failures_in_a_row == delivery.attempts
    assert "failed for 24 hours" in subscription.disabled_reason
    [message] = [m for m in mail.outbox if "webhook" in m.subject.lower()]
    assert message.to == [manager.email] and "ERP disabled" in message.subject
    # turned off: a new order records nothing for it, and the sweep posts nothing
    place(catalogue, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 1 and webhook_deliveries_queue_due() == 0


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_for_a_change_that_rolled_back(catalogue):
    with Receiver() as receiver:
        subscribe(receiver.url, "order.placed")

        with pytest.raises(RuntimeError), transaction.atomic():
            order_build(lines=[(catalogue.chair, 1)])
            raise RuntimeError("the rest of the change failed")

        assert Order.objects.count() == 0 and WebhookDelivery.objects.count() == 0
        assert receiver.received == []

        order = order_build(lines=[(catalogue.chair, 1)])  # committed: posted after the commit

    [(_headers, body)] = receiver.received
    assert json.loads(body)["data"]["order"]["number"] == order.number


def test_only_active_subscriptions_that_chose_the_type_get_it(catalogue):
    wants_placed = subscribe("http://127.0.0.1:9/a", "order.placed")
    subscribe("http://127.0.0.1:9/b", "order.cancelled")
    off = subscribe("http://127.0.0.1:9/c", "order.placed")
    WebhookSubscription.objects.filter(pk=off.pk).update(is_active=False)

    order = order_build(lines=[(catalogue.chair, 1)])
    order_advance(order=order, state="cancelled")

    assert sorted(WebhookDelivery.objects.values_list("subscription__url", "event_type")) == [
        ("http://127.0.0.1:9/a", "order.placed"),
        ("http://127.0.0.1:9/b", "order.cancelled"),
    ]
    assert wants_placed.deliveries.get().body.count(order.number) == 1


def test_the_lifecycle_announces_dispatch_delivery_invoice_and_payment(catalogue):
    types = ["shipment.dispatched", "shipment.delivered", "invoice.issued", "payment.received"]
    subscribe("http://127.0.0.1:9/erp", *types)

    order = order_build(lines=[(catalogue.chair, 1)], state="completed", payment_method="card")

    bodies = [json.loads(b) for b in WebhookDelivery.objects.order_by("pk").values_list("body", flat=True)]
    assert [b["type"] for b in bodies] == types
    shipment = order.shipments.get()
    assert bodies[0]["data"]["shipment"]["tracking_number"] == shipment.tracking_number != ""
    assert bodies[2]["data"]["invoice"]["number"] == order.invoices.get().number
    assert bodies[3]["data"]["payment"]["amount"] == str(order.total)


def test_stock_falling_to_its_reorder_point_is_announced_once(catalogue):
    subscribe("http://127.0.0.1:9/erp", "stock.low")
    level = catalogue.chair.stock_levels.get()  # 10 chairs in AMS
    level.reorder_point = 7
    level.save()

    order_build(lines=[(catalogue.chair, 2)])  # 8 left: above the point
    assert not WebhookDelivery.objects.exists()
    order_build(lines=[(catalogue.chair, 1)])  # 7 left: at the point
    order_build(lines=[(catalogue.chair, 1)])  # 6 left: still low, already said

    [delivery] = WebhookDelivery.objects.all()
    stock = json.loads(delivery.body)["data"]["stock_level"]
    assert (stock["sku"], stock["warehouse"], stock["available"], stock["reorder_point"]) == ("CHAIR-1", "AMS", 7, 7)


def test_resend_posts_the_same_event_again(catalogue, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        subscribe(receiver.url)
        place(catalogue, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()

        with django_capture_on_commit_callbacks(execute=True):
            webhook_delivery_resend(delivery=delivery)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert [json.loads(body)["id"] for _h, body in receiver.received] == [delivery.event_id] * 2


def test_a_redirect_is_an_answer_not_followed(catalogue, django_capture_on_commit_callbacks):
    with Receiver(answers=[302]) as receiver:
        subscribe(receiver.url)
        place(catalogue, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code, len(receiver.received)) == ("pending", 302, 1)
