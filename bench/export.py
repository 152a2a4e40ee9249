"""Exports at 10,000 and 1,000,000 rows: time and peak memory of the worker's export, CSV and XLSX.

    .venv/bin/python bench/export.py [--rows 10000,1000000] [--reuse] [--keep] [--no-pgbench]

It uses the scratch database of bench/admin_scale.py (`orders_bench_admin`: a million orders, with
--reuse one kept by an earlier run of it or of bench/dashboard.py, else it fills one). Each export
runs in a fresh Python process through the worker's own path (reports.services.export_job_run:
rows read with values_list().iterator(chunk_size), written to a temporary file, then to storage in
a temporary MEDIA_ROOT), so its peak resident memory (ru_maxrss) is that export's alone; the
process's memory after Django started is printed beside it. Target: under 150 MB for both sizes.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
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

BUDGET_MB = 150


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def child(rows: int, file_format: str, scratch_url: str) -> None:
    """One export in this process; prints a JSON line."""
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-export-")
    _django_setup(scratch_url)
    from django.contrib.auth.models import User

    from orders.models import Order
    from reports.models import ExportJob
    from reports.services import export_job_run

    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", None
    )
    # The newest `rows` orders, as the order list orders them (newest first).
    newest = Order.objects.order_by("-pk").values_list("pk", flat=True)[rows - 1 : rows].first() or 0
    orders = Order.objects.filter(pk__gte=newest).order_by("-placed_at", "-pk")
    list(orders[:1])  # Django's and the driver's import costs before the baseline
    baseline = _rss_mb()
    job = ExportJob.objects.create(kind="orders", file_format=file_format, query="", rows_total=0, requested_by=user)
    started = time.perf_counter()
    job = export_job_run(job=job, queryset=orders)
    seconds = time.perf_counter() - started
    size = job.file.size
    print(
        json.dumps(
            {
                "rows": job.rows_done,
                "format": file_format,
                "seconds": seconds,
                "baseline_mb": baseline,
                "peak_mb": _rss_mb(),
                "file_mb": size / 1e6,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="10000,1000000", help="comma-separated row counts (default 10000,1000000)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {SCRATCH_DB} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"use a kept {SCRATCH_DB} without filling it")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    parser.add_argument("--child", nargs=2, metavar=("ROWS", "FORMAT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    scratch_url = _scratch_url(server_url)
    if arguments.child:
        child(int(arguments.child[0]), arguments.child[1], scratch_url)
        return
    sizes = [int(n) for n in arguments.rows.split(",")]
    reuse = arguments.reuse and _scratch_exists(server_url)
    keep = arguments.keep or arguments.reuse
    started = time.monotonic()
    try:
        if not reuse:
            _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
            _server_admin(server_url, f"CREATE DATABASE {SCRATCH_DB}")
            _django_setup(scratch_url)
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0, skip_checks=True)
            _log(f"filling {SCRATCH_DB} for {max(sizes):,} orders")
            _fill(max(sizes))
            connection.close()
        yardstick = pgbench_run(server_url, skip=arguments.no_pgbench)
        _log(yardstick.describe())
        results = []
        for rows in sizes:
            for file_format in ("csv", "xlsx"):
                _log(f"exporting {rows:,} orders as {file_format}")
                done = subprocess.run(
                    [sys.executable, __file__, "--child", str(rows), file_format],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "DATABASE_URL": server_url},
                )
                results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print()
        print("Exports of the order list through the worker's path (reports.services.export_job_run)")
        print(yardstick.describe())
        print()
        print("| rows | format | seconds | rows/s | peak RSS MB | after start-up MB | file MB | share |")
        print("|---:|---|---:|---:|---:|---:|---:|---|")
        for r in results:
            per_second = r["rows"] / r["seconds"]
            flag = "" if r["peak_mb"] < BUDGET_MB else f" (over {BUDGET_MB})"
            share = yardstick.share(per_second) if yardstick.tps else "n/a"
            print(
                f"| {r['rows']:,} | {r['format']} | {r['seconds']:.1f} | {per_second:,.0f} | {r['peak_mb']:.0f}{flag} "
                f"| {r['baseline_mb']:.0f} | {r['file_mb']:.1f} | {share} |"
            )
        print()
        print("(share: rows/s against pgbench's tps)")
        print(f"(total wall time {time.monotonic() - started:.0f} s, PostgreSQL at 127.0.0.1, database {SCRATCH_DB})")
    finally:
        if not keep:
            _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
