"""The console home's work queues: what is waiting for whom, each a count that links to the list of
exactly those rows.

Each app's admin module registers its queues (admin modules are entry points: they may read any
app's selectors); the console's home (`ConsoleAdminSite.index`) shows those whose permission the
person holds, under their heading. A queue is a few lines:

    work_queue_register(WorkQueue(
        key="shipments.to_pick",
        heading=WAREHOUSE,
        title="To pick",
        permission="orders.fulfil_order",
        count=lambda: shipment_count(status=Shipment.Status.PENDING),   # a selector: one query
        changelist="admin:orders_shipment_changelist",
        query={"status__exact": Shipment.Status.PENDING},
    ))

Rules for a queue: `count` runs one query and an index answers it (tests/admin/test_console_home.py
explains every count on PostgreSQL); the changelist filtered by `query` lists the same rows (the
test opens every link and compares). A count may come with a breakdown (`Counted(total, parts)`,
one query for all of it): "On hold: 7", with "Customer details 4 · Stock 3" below, each part with
its own filter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

# The headings, in the order the home shows them (the people who work the queues under each);
# a heading not listed here comes after these, in the order its first queue was registered.
CUSTOMER_SERVICE = "Customer service"
WAREHOUSE = "Warehouse"
ACCOUNTS = "Accounts"
HEADINGS = (CUSTOMER_SERVICE, WAREHOUSE, ACCOUNTS)


@dataclass(frozen=True)
class Part:
    """One line of a queue's breakdown: its title, its count and the filter of its rows (added to
    the queue's own)."""

    title: str
    count: int
    query: Mapping[str, str]


@dataclass(frozen=True)
class Counted:
    """A count with a breakdown, read in one query. The parts may overlap (an order held for two
    reasons is in both) and need not add up to the total."""

    total: int
    parts: tuple[Part, ...] = ()


@dataclass(frozen=True)
class WorkQueue:
    """One queue. `count()` returns an int or a Counted; `changelist` is the URL name of the list
    and `query` its filter (GET parameters) that lists exactly the counted rows. `position` orders
    the queues under one heading (lower first; then registration order)."""

    key: str
    heading: str
    title: str
    permission: str
    count: Callable[[], int | Counted]
    changelist: str
    query: Mapping[str, str] = field(default_factory=dict)
    help_text: str = ""
    position: int = 100
    # A queue of a way of working the shop may not use (a setting): shown only while it returns True.
    enabled: Callable[[], bool] | None = None

    def url(self, extra: Mapping[str, str] | None = None) -> str:
        query = {**self.query, **(extra or {})}
        return reverse(self.changelist) + ("?" + urlencode(query) if query else "")

    def visible_to(self, user) -> bool:
        return (self.enabled is None or self.enabled()) and user.has_perm(self.permission)


@dataclass(frozen=True)
class ShownPart:
    title: str
    count: int
    url: str


@dataclass(frozen=True)
class ShownQueue:
    """A queue as the home shows it: counted now, with its link."""

    queue: WorkQueue
    count: int
    url: str
    parts: tuple[ShownPart, ...] = ()

    @property
    def title(self) -> str:
        return self.queue.title

    @property
    def key(self) -> str:
        return self.queue.key


@dataclass(frozen=True)
class ShownHeading:
    title: str
    queues: tuple[ShownQueue, ...]


_registry: dict[str, WorkQueue] = {}


def work_queue_register(queue: WorkQueue) -> WorkQueue:
    """Add a queue to the home (once per key: registering the key again replaces it, so a module
    imported twice does not show its queues twice)."""
    _registry[queue.key] = queue
    return queue


def work_queues() -> list[WorkQueue]:
    """Every registered queue, in the home's order: by heading (HEADINGS first), then position."""
    headings = list(HEADINGS)
    for queue in _registry.values():
        if queue.heading not in headings:
            headings.append(queue.heading)
    registered = list(_registry)
    return sorted(
        _registry.values(),
        key=lambda queue: (headings.index(queue.heading), queue.position, registered.index(queue.key)),
    )


def work_queues_for(user) -> list[WorkQueue]:
    """The queues this person may see (each by its permission; a superuser sees all)."""
    return [queue for queue in work_queues() if queue.visible_to(user)]


def work_queue_shown(queue: WorkQueue) -> ShownQueue:
    """Count one queue (one query) and build its links."""
    counted = queue.count()
    if not isinstance(counted, Counted):
        counted = Counted(total=counted)
    parts = tuple(ShownPart(part.title, part.count, queue.url(part.query)) for part in counted.parts)
    return ShownQueue(queue=queue, count=counted.total, url=queue.url(), parts=parts)


def work_queues_shown(user) -> list[ShownHeading]:
    """The home's queues for this person, counted, grouped under their headings."""
    grouped: dict[str, list[ShownQueue]] = {}
    for queue in work_queues_for(user):
        grouped.setdefault(queue.heading, []).append(work_queue_shown(queue))
    return [ShownHeading(title=heading, queues=tuple(queues)) for heading, queues in grouped.items()]
