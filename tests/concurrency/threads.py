"""Run callables in real threads that start at the same moment, each on its own database connection."""

import threading
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_at_once(*calls, timeout: float = 30) -> list[Outcome]:
    """Start every call together (a barrier) and return their outcomes in the same order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def work(index: int, call) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index].value = call()
        except BaseException as exc:
            outcomes[index].error = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def run_in_thread(call) -> tuple[threading.Thread, Outcome]:
    """Start one call in a thread now; join the returned thread to read its outcome."""
    outcome = Outcome()

    def work() -> None:
        try:
            outcome.value = call()
        except BaseException as exc:
            outcome.error = exc
        finally:
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread, outcome
