"""Queue Celery tasks by their registered name.

Tasks are entry points: they import services. So a service never imports a tasks module (that
would point up, and make a cycle); it names the task instead, which is also all a message on the
broker carries. The name is `<module>.<function>`, e.g. "lifecycle.tasks.notification_send".
"""

from importlib import import_module

from celery import current_app
from django.db import transaction


def _task(name: str):
    tasks = current_app.tasks
    if name not in tasks:
        # Web processes load task modules lazily (the worker autodiscovers them at start).
        import_module(name.rpartition(".")[0])
    return tasks[name]


def task_send(name: str, *args) -> None:
    """Queue the task now (from a sweep or a task, outside the transaction that needs it)."""
    _task(name).delay(*args)


def task_send_on_commit(name: str, *args) -> None:
    """Queue the task once the current transaction commits.

    Robust: a broker outage must not turn a committed change into an error for the person who
    made it (nor stop the other on-commit work); the beat sweeps queue again what was not sent.
    """
    _task(name)  # an unknown name fails here, inside the change, not silently after commit

    def send_after_commit() -> None:
        task_send(name, *args)

    transaction.on_commit(send_after_commit, robust=True)
