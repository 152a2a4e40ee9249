"""The manager's dashboard at a million orders: the page for the last 30 days (and a year), its
median time and query count, with the daily roll-up built and without it.

    .venv/bin/python bench/dashboard.py [--orders 1000000] [--runs 5] [--reuse] [--keep] [--explain]

It fills the same scratch database as bench/admin_scale.py (`orders_bench_admin`, with bulk SQL:
orders over three years with their timelines, parcels with promised dispatch days, invoices,
payments, feedback), or with --reuse measures one kept by an earlier run of either script. Then it
runs the pgbench yardstick (bench/_pgbench.py), rebuilds the roll-up for the last REPORTS_ROLLUP_DAYS
days (timed), and opens the dashboard through Django's test Client as a superuser with DEBUG off.
The database is dropped afterwards unless --keep or --reuse.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _pgbench import pgbench_run  # noqa: E402  (bench/ is not a package)
from admin_scale import (  # noqa: E402
    DEFAULT_URL,
    SCRATCH_DB,
    _django_setup,
    _fill,
    _log,
    _scratch_exists,
    _scratch_url,
    _server_admin,
)

BUDGET_MS = 1000


def _measure(browser, url: str, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = browser.get(url)  # warm-up
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        browser.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        browser.get(url)
    slowest = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)[:3]
    return {
        "median_ms": statistics.median(times),
        "queries": len(captured),
        "slowest": [(float(q["time"]) * 1000, q["sql"]) for q in slowest],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to fill (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page (default 5)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {SCRATCH_DB} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"measure a kept {SCRATCH_DB} without filling it")
    parser.add_argument("--explain", action="store_true", help="print each page's three slowest statements")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    arguments = parser.parse_args()
    orders = min(max(arguments.orders, 1000), 5_000_000)

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    scratch_url = _scratch_url(server_url)
    reuse = arguments.reuse and _scratch_exists(server_url)
    if not reuse:
        _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        _server_admin(server_url, f"CREATE DATABASE {SCRATCH_DB}")
    keep = arguments.keep or arguments.reuse
    started = time.monotonic()
    try:
        _django_setup(scratch_url)
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.urls import reverse
        from django.utils import timezone

        from reports.figures import orders_in
        from reports.models import DailyFigures
        from reports.periods import Period
        from reports.rollup import rollup_rebuild

        call_command("migrate", verbosity=0, skip_checks=True)
        if not reuse:
            _log(f"filling {SCRATCH_DB} for {orders:,} orders")
            fill_started = time.monotonic()
            counts = _fill(orders)
            _log(f"filled in {time.monotonic() - fill_started:.0f} s: orders {counts.get('orders_order', orders):,}")
        connection.close()
        yardstick = pgbench_run(server_url, skip=arguments.no_pgbench)
        _log(yardstick.describe())

        user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
            "bench-admin", "bench@example.com", None
        )
        browser = Client()
        browser.force_login(user)
        today = timezone.localdate()
        dashboard = reverse("admin:reports_dashboard")
        pages = [
            ("last 30 days", f"{dashboard}?first_day={today - timedelta(days=29)}&last_day={today}"),
            ("last 30 days, web", f"{dashboard}?first_day={today - timedelta(days=29)}&last_day={today}&channel=web"),
            ("last 365 days", f"{dashboard}?first_day={today - timedelta(days=364)}&last_day={today}"),
        ]
        in_month = orders_in(Period.last_days(30)).count()
        results = []
        DailyFigures.objects.all().delete()
        for what, url in pages:
            results.append(("no roll-up", what, _measure(browser, url, arguments.runs)))
        rollup_started = time.monotonic()
        yesterday = today - timedelta(days=1)
        written = rollup_rebuild(
            first_day=yesterday - timedelta(days=max(settings.REPORTS_ROLLUP_DAYS, 400) - 1), last_day=yesterday
        )
        rollup_seconds = time.monotonic() - rollup_started
        for what, url in pages:
            results.append(("roll-up", what, _measure(browser, url, arguments.runs)))

        print()
        print(f"Manager's dashboard at {orders:,} orders ({in_month:,} placed in the last 30 days), median of "
              f"{arguments.runs} runs, Django test Client, DEBUG off")  # fmt: skip
        print(yardstick.describe())
        print(f"roll-up rebuilt for 400 days ({written:,} rows) in {rollup_seconds:.1f} s")
        print()
        print("| roll-up | period | median ms | queries | share |")
        print("|---|---|---:|---:|---|")
        for rolled, what, result in results:
            share = yardstick.share(1000.0 / result["median_ms"]) if yardstick.tps else "n/a"
            flag = "" if result["median_ms"] < BUDGET_MS else f" (over {BUDGET_MS} ms)"
            print(f"| {rolled} | {what} | {result['median_ms']:.0f}{flag} | {result['queries']} | {share} |")
            if arguments.explain:
                for ms, sql in result["slowest"]:
                    print(f"    {ms:.1f} ms: {sql[:400]}")
        print()
        print("(share: one page after another in one process, as pages/s against pgbench's tps)")
        print(f"(total wall time {time.monotonic() - started:.0f} s, PostgreSQL at 127.0.0.1, database {SCRATCH_DB})")
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
