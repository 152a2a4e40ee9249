"""A real Celery worker on Redis renders a real invoice PDF and sends the e-mails.

Needs PostgreSQL (the worker process must see the test's committed rows) and Redis; skipped
without them locally, failing in CI where REQUIRE_SERVICES=1.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from invoicing.models import Invoice
from lifecycle.delivery import shipment_deliver
from orders.models import EmailNotification, Order
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from orders_site.celery import app as celery_app
from tests.builders import order_build, shipment_packed
from tests.pdf_text import pdf_text

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_worker_process(require_postgres, require_redis, transactional_db, settings):
    """A worker subprocess on a queue of its own (so no other run's worker steals the tasks),
    with tasks of this test sent through Redis instead of running in-process."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "orders_site.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": require_redis,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "orders_site",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    conf = celery_app.conf
    assert conf.broker_url == require_redis, "with REDIS_URL set, the settings point the broker at it"
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager, conf.task_default_queue = False, queue
    try:
        yield worker
    finally:
        conf.task_always_eager, conf.task_default_queue = saved
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output[-4000:])


def _wait_for(condition, *, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_worker_renders_invoice_pdf_and_sends_emails(celery_worker_process, catalogue, customer):
    # Given an order carried to delivery by the services, with every task going to the worker
    order = order_build(customer=customer, lines=[(catalogue.chair, 1), (catalogue.lamp, 2)])
    order = order_fulfillment_start(order=order)
    for shipment in order.shipments.all():
        shipment = shipment_packed(shipment=shipment)
        shipment_dispatch(shipment=shipment, carrier="PostNL", tracking_number="3S0001")
        shipment_deliver(shipment=Order.objects.get(pk=order.pk).shipments.get(pk=shipment.pk))

    # When the worker has picked up the render task
    invoice = Invoice.objects.get(order=order)
    assert _wait_for(lambda: bool(Invoice.objects.get(pk=invoice.pk).pdf)), "the worker never stored the PDF"

    # Then a real PDF is in storage, and it reads like the invoice
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as stored:
        text = pdf_text(stored.read())
    for expected in (invoice.number, order.number, "Oak chair", "Desk lamp", str(invoice.total)):
        assert expected in text
    assert invoice.pdf.name.startswith("invoices/")
    assert Path(settings.MEDIA_ROOT, invoice.pdf.name).is_file()

    # And every e-mail of the order (received, shipped, invoice) was sent by the worker, once each
    def all_sent():
        return not EmailNotification.objects.filter(order=order).exclude(status="sent").exists()

    assert _wait_for(all_sent), list(EmailNotification.objects.filter(order=order).values("kind", "status"))
    kinds = sorted(EmailNotification.objects.filter(order=order).values_list("kind", flat=True))
    assert kinds == ["invoice", "order_received", "order_shipped"]
    assert all(n.attempts == 1 for n in EmailNotification.objects.filter(order=order))
