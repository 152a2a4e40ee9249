"""A real Celery worker on Redis renders a real invoice PDF and sends the e-mails.

Needs PostgreSQL (the worker process must see the test's committed rows) and Redis; skipped
without them locally, failing in CI where REQUIRE_SERVICES=1.
"""

import csv
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from invoicing.models import Invoice, InvoiceReminder
from invoicing.tasks import reminders_send_due_task
from lifecycle.delivery import shipment_deliver
from lifecycle.order_import import order_import_create
from orders.models import EmailNotification, Order, OrderImport, OrderLine
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from orders_site.celery import app as celery_app
from orders_site.core.hmac_signatures import hmac_sha256_hex
from reports.models import ExportJob
from reports.services import export_job_request
from tests.builders import (
    delivery_method_build,
    order_advance,
    order_build,
    product_build,
    reminder_levels_build,
    shipment_packed,
    stock_put,
    warehouse_build,
)
from tests.pdf_text import pdf_text
from tests.webhook_receiver import Receiver
from webhooks.models import WebhookDelivery
from webhooks.subscriptions import webhook_subscription_create

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker_start(
    queue: str, *, redis_url: str, media_root: str, name: str = "", settings_env: dict | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "orders_site.settings.test",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "MEDIA_ROOT": media_root,
        **(settings_env or {}),
    }
    log = tempfile.TemporaryFile(mode="w+")
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
            # Named workers (two on one queue) take one message at a time, so two tasks sent at once
            # run in the two at once.
            *([f"--hostname={name}@%h", "--prefetch-multiplier=1"] if name else []),
        ],
        cwd=ROOT,
        env=env,
        # A file, not a pipe: nobody reads a pipe while the worker runs, and a worker that logs more
        # than its buffer (64 KB: a thousand orders' e-mails) would block on its next line.
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker.stdout_file = log
    return worker


def _worker_stop(worker: subprocess.Popen) -> str:
    """Stop the worker (warm shutdown: it finishes its task) and return what it logged."""
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    worker.stdout_file.seek(0)
    output = worker.stdout_file.read()
    worker.stdout_file.close()
    return output


@pytest.fixture
def worker_queue(require_postgres, require_redis, transactional_db):
    """A queue of this test's own (so no other run's worker steals the tasks), with the test's
    tasks sent through Redis to it instead of running in-process."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    conf = celery_app.conf
    assert conf.broker_url == require_redis, "with REDIS_URL set, the settings point the broker at it"
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager, conf.task_default_queue = False, queue
    try:
        yield queue
    finally:
        conf.task_always_eager, conf.task_default_queue = saved


@pytest.fixture
def celery_worker_process(worker_queue, require_redis, settings):
    """One worker subprocess on the test's queue."""
    worker = _worker_start(worker_queue, redis_url=require_redis, media_root=str(settings.MEDIA_ROOT))
    try:
        yield worker
    finally:
        print(_worker_stop(worker)[-4000:])


@pytest.fixture
def two_celery_workers(worker_queue, require_redis, settings):
    """Two worker subprocesses on the test's queue: two tasks sent at once run at the same time."""
    workers = [
        _worker_start(worker_queue, redis_url=require_redis, media_root=str(settings.MEDIA_ROOT), name=f"w{n}")
        for n in (1, 2)
    ]
    try:
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                print(_worker_stop(worker)[-3000:])


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


def test_two_reminder_runs_at_once_send_one_reminder_per_invoice_and_level(two_celery_workers, catalogue, customer):
    # Given an invoice three days past its due date (the first reminder level is due + 3), and both
    # workers listening
    reminder_levels_build()
    host = socket.gethostname()
    names = [f"w1@{host}", f"w2@{host}"]
    assert _wait_for(lambda: len(celery_app.control.ping(destination=names, timeout=0.5)) == 2), "workers not up"
    order = order_advance(order=order_build(customer=customer, lines=[(catalogue.book, 1)]), state="invoiced")
    invoice = order.invoices.get()
    Invoice.objects.filter(pk=invoice.pk).update(due_date=timezone.localdate() - timedelta(days=3))
    EmailNotification.objects.filter(order=order).update(status="sent")  # what placement and the invoice mailed

    # When beat's reminder run is queued twice at once (a duplicated beat, two workers taking one each)
    for _ in range(2):
        reminders_send_due_task.delay()

    # Then one reminder was written and one e-mail sent, whichever worker got there first
    def reminder_mailed():
        return EmailNotification.objects.filter(order=order, kind="payment_reminder", status="sent").exists()

    assert _wait_for(reminder_mailed), list(EmailNotification.objects.filter(order=order).values("kind", "status"))
    # and each run finished (a warm shutdown lets a running task end): one sent it, the other found it sent
    time.sleep(3)
    logs = "".join(_worker_stop(worker) for worker in two_celery_workers)
    results = sorted(
        int(line.rsplit(":", 1)[1])
        for line in logs.splitlines()
        if "reminders_send_due_task[" in line and "succeeded" in line
    )
    assert results == [0, 1], logs[-3000:]
    assert InvoiceReminder.objects.filter(invoice=invoice).count() == 1
    assert EmailNotification.objects.filter(order=order, kind="payment_reminder").count() == 1


def test_a_big_export_is_written_by_a_real_worker_with_its_progress(
    celery_worker_process, catalogue, staff_users, settings
):
    # Given three orders, two of them cancelled, and a manager's export of the cancelled ones queued
    # as the order list would queue it for more rows than a request may stream
    made = [order_build(lines=[(catalogue.book, n + 1)]) for n in range(3)]
    for order in made[1:]:
        order_advance(order=order, state="cancelled", actor=staff_users["Customer service"])
    job = export_job_request(
        user=staff_users["Managers"], kind="orders", file_format="csv", query="status__exact=cancelled", rows_total=2
    )

    # When the worker has run it
    assert _wait_for(lambda: ExportJob.objects.get(pk=job.pk).status == "done"), ExportJob.objects.get(pk=job.pk).error

    # Then the file in storage holds the cancelled orders (the list's filter, read by the worker)
    job.refresh_from_db()
    assert (job.rows_done, job.rows_total) == (2, 2)
    assert job.expires_at > timezone.now()
    with job.file.open("rb") as stored:
        header, *rows = list(csv.reader(io.StringIO(stored.read().decode("utf-8-sig"))))
    assert header[0] == "Order"
    assert sorted(row[0] for row in rows) == sorted(order.number for order in made[1:])


def test_a_real_worker_posts_a_signed_webhook_after_the_order_commits(celery_worker_process, catalogue):
    # Given a receiver on 127.0.0.1 subscribed to placed orders
    with Receiver() as receiver:
        subscription = webhook_subscription_create(name="ERP", url=receiver.url, event_types=["order.placed"])

        # When an order is placed (committed; the post goes to the worker through Redis)
        order = order_build(lines=[(catalogue.chair, 1)])

        # Then the worker posted it once, signed with the subscription's secret, and logged the answer
        assert _wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").exists()), list(
            WebhookDelivery.objects.values("status", "last_error")
        )
    [(headers, body)] = receiver.received
    timestamp = headers["Webhook-Timestamp"]
    assert (
        headers["Webhook-Signature"]
        == f"v1={hmac_sha256_hex(secret=subscription.secret, timestamp=timestamp, body=body)}"
    )
    assert order.number in body.decode()
    assert WebhookDelivery.objects.get().attempt_log.get().status_code == 200


def test_a_file_of_ten_thousand_rows_is_placed_by_a_real_worker_with_progress(
    worker_queue, require_redis, settings, staff_users
):
    # Given 1,000 orders of ten lines each (10,000 rows) over twenty products in plenty, and a worker
    # that places orders for 5 s per task before queueing the rest (so it resumes several times)
    settings.STOCK_RECEIPT_CONFIRM_ABOVE = 10_000  # the test's own big receipts, not a typo
    warehouse = warehouse_build(code="BIG", priority=1)
    products = [product_build(sku=f"IMP-{n}") for n in range(20)]
    for product in products:
        stock_put(product=product, warehouse=warehouse, quantity=5_000)
    delivery_method_build(code="standard")
    out = io.StringIO()
    writer = csv.writer(out)
    columns = "order_reference email full_name sku quantity delivery_method payment_method ship_name ship_line1"
    writer.writerow([*columns.split(), "ship_postal_code", "ship_city", "ship_country"])
    for n in range(1000):
        for line in range(10):
            writer.writerow([f"BIG-{n}", f"buyer{n}@example.com", "Buyer", products[(n + line) % 20].sku, 1 + line % 3,
                             "standard", "bank_transfer", "Buyer", "Dam 1", "1012 JS", "Amsterdam", "NL"])  # fmt: skip
    worker = _worker_start(
        worker_queue,
        redis_url=require_redis,
        media_root=str(settings.MEDIA_ROOT),
        settings_env={"ORDER_IMPORT_TASK_SECONDS": "5"},
    )
    try:
        # When a manager uploads it (checked whole in the request, then queued for the worker)
        job = order_import_create(
            source="Wholesale", file_name="big.csv", content=out.getvalue().encode(), placed_via="Import",
            created_by=staff_users["Managers"],
        )  # fmt: skip
        assert (job.status, job.rows_total, job.orders_total) == ("queued", 10_000, 1000)

        # Then the import's page can show its progress while the worker places the orders
        seen = set()

        def finished():
            current = OrderImport.objects.get(pk=job.pk)
            seen.add(current.orders_done)
            return current.status == "done"

        done = _wait_for(finished, seconds=300)
    finally:
        logs = _worker_stop(worker)
    assert done, (OrderImport.objects.filter(pk=job.pk).values("status", "orders_done", "problems").get(), logs[-3000:])
    job.refresh_from_db()
    assert (job.orders_done, job.orders_skipped, job.problems) == (1000, 0, [])
    assert any(0 < done < 1000 for done in seen), sorted(seen)
    assert logs.count("order_import_run_task[") >= 4, "the worker resumed the import in several tasks"
    assert Order.objects.filter(channel="import").count() == 1000
    assert OrderLine.objects.filter(order__channel="import").count() == 10_000
