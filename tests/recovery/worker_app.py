"""The Celery app of the workers the recovery tests start: the project's own app, plus, when the
worker's settings ask for it, an invoice render that first says so in a file and then takes its
time, so that a test can kill the worker while it renders. Test-only: production code has no such
hook."""

import os
import time
from pathlib import Path

from celery.signals import worker_process_init
from django.conf import settings

from orders_site.celery import app

__all__ = ["app"]


@worker_process_init.connect
def _make_the_invoice_render_slow(**kwargs) -> None:
    if not settings.RECOVERY_TEST_SLOW_RENDER_SECONDS:
        return
    # Imported here, in the pool process: when this module is imported the apps are not loaded yet.
    from invoicing.services import invoices

    render = invoices.invoice_pdf_render

    def slow_render(**render_kwargs) -> bytes:
        Path(settings.RECOVERY_TEST_RENDER_MARKER).write_text(str(os.getpid()))
        time.sleep(settings.RECOVERY_TEST_SLOW_RENDER_SECONDS)
        return render(**render_kwargs)

    invoices.invoice_pdf_render = slow_render
