"""The dashboard's and the exports' date range: whole days in the shop's time zone, with the channel
and warehouse filters, and the period of the same length just before it."""

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.utils import timezone

DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date  # included
    channel: str = ""
    warehouse_id: int | None = None

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, *, today: date | None = None, **filters) -> "Period":
        today = today or timezone.localdate()
        return cls(first_day=today - timedelta(days=days - 1), last_day=today, **filters)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def start(self) -> datetime:
        """The first moment of the first day, in the shop's time zone."""
        return datetime.combine(self.first_day, time.min, tzinfo=timezone.get_current_timezone())

    @property
    def end(self) -> datetime:
        """The first moment after the last day (excluded)."""
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())

    def previous(self) -> "Period":
        """The same number of days just before, with the same filters."""
        return replace(
            self, first_day=self.first_day - timedelta(days=self.days), last_day=self.first_day - timedelta(days=1)
        )

    def each_day(self):
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)

    def as_query(self) -> str:
        """The dashboard's own address parameters for this period."""
        params = {"first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat()}
        if self.channel:
            params["channel"] = self.channel
        if self.warehouse_id:
            params["warehouse"] = self.warehouse_id
        return urlencode(params)

    def order_list_params(self) -> dict[str, str]:
        """The order list's filters that show this period's orders: its "placed" filter's own
        parameters, the channel, and the warehouse filter (reports.admin_filters)."""
        params = {"placed_at__gte": self.start.isoformat(), "placed_at__lt": self.end.isoformat()}
        if self.channel:
            params["channel__exact"] = self.channel
        if self.warehouse_id:
            params["warehouse"] = str(self.warehouse_id)
        return params
