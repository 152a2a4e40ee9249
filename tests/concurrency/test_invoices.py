"""Invoice numbers under concurrency: gapless and unique however many are issued at once."""

from unittest import mock

import pytest

from invoicing.models import Invoice
from invoicing.services import invoice_issue
from invoicing.tasks import invoice_pdf_render_task
from lifecycle.tasks import notification_send
from orders.models import Order
from tests.builders import order_build

from .threads import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

N = 8


def test_invoices_issued_at_once_get_numbers_one_to_n(catalogue):
    # Given N delivered orders (the test is about numbering, so they are put in that state directly).
    with mock.patch.object(notification_send, "delay"):
        orders = [order_build(lines=[(catalogue.book, 1)]) for _ in range(N)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(status=Order.Status.DELIVERED)

    # When N staff sessions issue them at the same moment.
    with mock.patch.object(invoice_pdf_render_task, "delay"), mock.patch.object(notification_send, "delay"):
        outcomes = run_at_once(*[lambda order=order: invoice_issue(order=order) for order in orders])

    # Then every invoice is issued, numbered 1..N without a gap or a duplicate.
    assert [o.error for o in outcomes] == [None] * N
    numbers = sorted(int(number.rsplit("-", 1)[1]) for number in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, N + 1))
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.INVOICED}
