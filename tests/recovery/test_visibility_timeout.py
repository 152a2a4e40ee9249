"""The broker's visibility timeout fits the longest task (issue 8, item 3): shorter, Redis hands a
second copy of a task that is still running to another worker; much longer, a task of a worker that
died waits that long for another one."""

import pytest

from orders_site.celery import app as celery_app
from orders_site.celery import visibility_timeout_misfits


@pytest.fixture
def our_tasks():
    celery_app.loader.import_default_modules()  # what a worker does at start: load every tasks module
    tasks = {name: task for name, task in celery_app.tasks.items() if not name.startswith("celery.")}
    assert "invoicing.tasks.invoice_pdf_render_task" in tasks
    return tasks


def test_the_default_timeout_outlasts_every_task_and_its_retry_wait(our_tasks):
    conf = celery_app.conf
    # A retry is a new message that the worker holds, unacknowledged, until its countdown ends:
    # the tasks wait min(600, 10 * 2**retries) seconds before retry number retries + 1.
    retrying = [task for task in our_tasks.values() if task.max_retries]
    longest_retry_wait = max(min(600, 10 * 2 ** (task.max_retries - 1)) for task in retrying)
    longest_time_limit = max(task.time_limit or conf.task_time_limit for task in our_tasks.values())

    visibility_timeout = conf.broker_transport_options["visibility_timeout"]

    assert visibility_timeout_misfits(celery_app) == {}
    assert visibility_timeout > longest_time_limit + longest_retry_wait
    assert visibility_timeout <= 600, "a dead worker's task waits no longer than ten minutes"


def test_a_timeout_shorter_than_a_time_limit_names_the_tasks_it_does_not_fit(our_tasks):
    saved = celery_app.conf.broker_transport_options
    celery_app.conf.broker_transport_options = {**saved, "visibility_timeout": 120}
    try:
        misfits = visibility_timeout_misfits(celery_app)
    finally:
        celery_app.conf.broker_transport_options = saved

    assert misfits["invoicing.tasks.invoice_pdf_render_task"] == 180
    assert misfits["lifecycle.tasks.notification_send"] == celery_app.conf.task_time_limit
    assert "lifecycle.tasks.payment_capture_task" not in misfits, "its 90 s fit"
