"""Work a dead worker left undone is finished by another, once, within the documented time
(issue 8, item 3): a whole worker killed mid-task, and tasks that were never queued at all.

Real Celery workers on PostgreSQL and a Redis database of their own (see conftest.py); skipped
without them locally, failing in CI (REQUIRE_SERVICES=1). The workers run with a visibility timeout
and sweep settings of seconds, set through the same environment variables as in production.
"""

import re
import time
from pathlib import Path
from unittest import mock

import kombu.exceptions
import pytest
from django.conf import settings
from django.utils import timezone

from invoicing.models import Invoice
from lifecycle.delivery import shipment_deliver
from orders.models import EmailNotification, Shipment
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from tests.builders import order_build, shipment_packed
from tests.pdf_text import pdf_text

from .conftest import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# What a worker starting, and a task running, may take on a busy CI machine beyond the bound.
SLACK_SECONDS = 15


def _parcel_out_for_delivery(catalogue, customer) -> Shipment:
    """An order's only parcel, dispatched; the steps so far ran in-process."""
    order = order_build(customer=customer, lines=[(catalogue.chair, 1), (catalogue.lamp, 1)])
    shipment = order_fulfillment_start(order=order).shipments.get()
    shipment = shipment_packed(shipment=shipment)
    return shipment_dispatch(shipment=shipment, carrier="PostNL", tracking_number="3S0001")


def _stored_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def _assert_one_pdf_and_one_invoice_email(invoice: Invoice, recovery_workers) -> None:
    invoice.refresh_from_db()
    year = timezone.localdate(invoice.issued_at).year
    assert _stored_files() == [invoice.pdf.name] == [f"invoices/{year}/{invoice.number}.pdf"]
    with invoice.pdf.open("rb") as stored:
        assert invoice.number in pdf_text(stored.read())

    notification = EmailNotification.objects.get(order=invoice.order, kind=EmailNotification.Kind.INVOICE)
    emails = recovery_workers.sent_emails()
    assert [message["Subject"] for message in emails] == [f"Invoice {invoice.number} for order {invoice.order.number}"]
    assert (notification.status, notification.attempts) == (EmailNotification.Status.SENT, 1)
    assert emails[0]["Message-ID"] == notification.message_id
    attachment = next(part for part in emails[0].walk() if part.get_filename())
    with invoice.pdf.open("rb") as stored:
        assert attachment.get_payload(decode=True) == stored.read()


def test_a_worker_killed_while_rendering_an_invoice_is_relieved_and_the_invoice_is_stored_and_mailed_once(
    recovery_workers, catalogue, customer
):
    visibility_timeout = 5
    # Given a parcel out for delivery, and a worker that takes its time over invoice PDFs
    shipment = _parcel_out_for_delivery(catalogue, customer)
    first = recovery_workers.start(
        "first", CELERY_VISIBILITY_TIMEOUT=visibility_timeout, RECOVERY_TEST_SLOW_RENDER_SECONDS=300
    )

    # When the parcel is delivered: the invoice is issued, its PDF and its e-mail are queued
    with recovery_workers.tasks_to_workers():
        shipment_deliver(shipment=shipment)
    invoice = Invoice.objects.get(order=shipment.order)
    # And the worker, rendering the PDF (the invoice row locked, its transaction open), dies
    # with its pool process: nothing acknowledges, rejects or hands back the task
    assert wait_until(first.render_marker.exists, deadline=time.monotonic() + 30), first.output()[-3000:]
    rendering_since = time.monotonic()
    first.kill_process_group()
    taken = re.search(r"invoice_pdf_render_task\[([0-9a-f-]+)\] received", first.output())
    assert taken, first.output()[-3000:]
    # And another worker, configured alike, starts
    second = recovery_workers.start("second", CELERY_VISIBILITY_TIMEOUT=visibility_timeout)

    # Then the killed task is handed to it and done within the visibility timeout plus one look
    # for abandoned tasks (README, "Recovery")
    restore_every = settings.CELERY_BROKER_TRANSPORT_OPTIONS["unacked_restore_interval"]
    deadline = rendering_since + visibility_timeout + restore_every + SLACK_SECONDS
    assert wait_until(lambda: f"[{taken.group(1)}] succeeded" in second.output(), deadline=deadline), second.output()
    recovered_after = time.monotonic() - rendering_since
    assert wait_until(lambda: recovery_workers.redis.hlen("unacked") == 0, deadline=time.monotonic() + 10)

    # And it all happened once: one PDF, under the invoice's own name; one invoice e-mail, with it
    # attached; nothing left in the queue or held by a worker to run again
    _assert_one_pdf_and_one_invoice_email(invoice, recovery_workers)
    assert recovery_workers.redis.llen(recovery_workers.queue) == 0
    print(f"the killed worker's task was done {recovered_after:.1f} s after its render began")


def test_an_invoice_whose_tasks_were_never_queued_is_stored_and_mailed_once_by_the_sweeps(
    recovery_workers, catalogue, customer, tmp_path
):
    sweep_interval = sweep_after = 2
    # Given an invoice issued while the broker was down: its PDF and e-mail tasks were never queued
    shipment = _parcel_out_for_delivery(catalogue, customer)
    broker_down = kombu.exceptions.OperationalError("[Errno 111] Connection refused")
    with mock.patch("orders_site.core.tasks.task_send", side_effect=broker_down):
        shipment_deliver(shipment=shipment)
    invoice = Invoice.objects.get(order=shipment.order)
    assert not invoice.pdf

    # When a worker with beat starts, sweeping every 2 s for work undone for 2 s
    worker = recovery_workers.start(
        "with-beat",
        extra_args=("--beat", "--schedule", str(tmp_path / "beat-schedule")),
        RECOVERY_SWEEP_INTERVAL_SECONDS=sweep_interval,
        RECOVERY_SWEEP_AFTER_SECONDS=sweep_after,
    )
    started = time.monotonic()

    # Then the PDF is stored and the e-mail sent within one sweep (the work is overdue already)
    def done() -> bool:
        notification = EmailNotification.objects.get(order=invoice.order, kind=EmailNotification.Kind.INVOICE)
        return notification.status == EmailNotification.Status.SENT and bool(Invoice.objects.get(pk=invoice.pk).pdf)

    assert wait_until(done, deadline=started + sweep_after + sweep_interval + SLACK_SECONDS), worker.output()
    recovered_after = time.monotonic() - started

    # And the sweeps that follow find nothing more to do
    log_so_far = len(worker.output())
    for sweep in ("invoice_pdfs_requeue_missing", "notifications_resend_pending"):
        finds_nothing = re.compile(rf"{sweep}\[[0-9a-f-]+\] succeeded in [0-9.]+s: 0\b")

        def swept_and_found_nothing(finds_nothing=finds_nothing) -> bool:
            return bool(finds_nothing.search(worker.output()[log_so_far:]))

        assert wait_until(swept_and_found_nothing, deadline=time.monotonic() + 4 * sweep_interval), worker.output()
    _assert_one_pdf_and_one_invoice_email(invoice, recovery_workers)
    print(f"the sweeps had the invoice stored and mailed {recovered_after:.1f} s after the worker started")
