"""Work a lost task left undone is found again by the beat jobs, and done once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from invoicing.models import Invoice
from invoicing.services import invoice_pdf_requeue_missing
from lifecycle.delivery import shipment_deliver
from orders.services.fulfillment import (
    order_fulfillment_start,
    shipment_dispatch,
)
from tests.builders import order_build, shipment_packed

pytestmark = pytest.mark.django_db


def test_issued_invoice_whose_pdf_task_was_lost_gets_its_pdf(catalogue, customer, django_capture_on_commit_callbacks):
    # Given a delivered order whose PDF task never ran (callbacks captured, not executed)
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    order = order_fulfillment_start(order=order)
    shipment = order.shipments.get()
    with django_capture_on_commit_callbacks(execute=False):
        shipment = shipment_dispatch(
            shipment=shipment_packed(shipment=shipment),
            carrier="PostNL",
            tracking_number="3S1",
        )
        shipment_deliver(shipment=shipment)
    invoice = Invoice.objects.get(order=order)
    assert not invoice.pdf

    # When the beat job runs before the grace period: nothing; after it: the PDF is rendered
    assert invoice_pdf_requeue_missing(older_than_seconds=600) == 0
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=timezone.now() - timedelta(minutes=11))
    assert invoice_pdf_requeue_missing(older_than_seconds=600) == 1

    # Then the invoice has its PDF, and a second run finds nothing more to do
    invoice.refresh_from_db()
    assert invoice.pdf.name.endswith(f"{invoice.number}.pdf")
    assert invoice_pdf_requeue_missing(older_than_seconds=600) == 0


def test_an_invoice_pdf_that_keeps_failing_is_reported_on_the_order_timeline(
    catalogue, customer, django_capture_on_commit_callbacks
):
    from unittest import mock

    from invoicing.tasks import invoice_pdf_render_task
    from orders_site.celery import app

    # Given a delivered order whose PDF task did not run yet
    order = order_build(customer=customer, lines=[(catalogue.chair, 1)])
    shipment = order_fulfillment_start(order=order).shipments.get()
    with django_capture_on_commit_callbacks(execute=False):
        shipment = shipment_dispatch(
            shipment=shipment_packed(shipment=shipment),
            carrier="PostNL",
            tracking_number="3S1",
        )
        shipment_deliver(shipment=shipment)
    invoice = Invoice.objects.get(order=order)

    # When rendering fails on every retry (worker-like: failures are not raised into this test)
    propagates, app.conf.task_eager_propagates = app.conf.task_eager_propagates, False
    try:
        with mock.patch(
            "invoicing.services.invoices.invoice_pdf_render", side_effect=OSError("font missing")
        ) as render:
            result = invoice_pdf_render_task.delay(invoice.pk)
    finally:
        app.conf.task_eager_propagates = propagates

    # Then staff see it on the order's timeline, once, with the reason
    assert result.state == "FAILURE"
    assert render.call_count == invoice_pdf_render_task.max_retries + 1
    failure = order.events.get(kind="invoice.pdf_failed")
    assert invoice.number in failure.note and "font missing" in failure.note
    assert not Invoice.objects.get(pk=invoice.pk).pdf
