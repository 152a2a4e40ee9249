"""Rebuild the dashboard's daily roll-up: `manage.py reports_rollup` (the last REPORTS_ROLLUP_DAYS
days up to yesterday), `--days 400`, or `--from 2026-01-01 --to 2026-06-30`."""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from reports.rollup import rollup_rebuild


def _day(value: str, option: str):
    try:
        day = parse_date(value)
    except ValueError:
        day = None
    if day is None:
        raise CommandError(f"{option} {value!r} is not a date (YYYY-MM-DD).")
    return day


class Command(BaseCommand):
    help = "Rebuild the dashboard's daily roll-up of orders and revenue from the orders."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="This many days up to yesterday")
        parser.add_argument("--from", dest="first", default=None, help="First day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", default=None, help="Last day, included (YYYY-MM-DD)")

    def handle(self, *args, days=None, first=None, last=None, **options):
        yesterday = timezone.localdate() - timedelta(days=1)
        last_day = _day(last, "--to") if last else yesterday
        if first:
            first_day = _day(first, "--from")
        else:
            first_day = last_day - timedelta(days=(days or settings.REPORTS_ROLLUP_DAYS) - 1)
        if first_day > last_day:
            raise CommandError("--from comes after --to.")
        rows = rollup_rebuild(first_day=first_day, last_day=last_day)
        self.stdout.write(f"Rolled up {first_day} to {last_day}: {rows} rows (day and channel).")
