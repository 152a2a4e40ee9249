"""The yardstick every benchmark prints beside its figures: a pgbench run in the same invocation.

A figure measured on a shared 2-core machine moves with whatever else runs there; the share of what
this PostgreSQL does with pgbench's TPC-B-like script at the same moment moves much less. The run is
shaped like the oscar anchor's (../shared/anchors/oscar/run.sh: scale 10, 8 clients, 2 threads,
15 s), so shares compare with the figures there.

    from _pgbench import pgbench_run
    yardstick = pgbench_run(server_url)            # before the measurements
    print(yardstick.describe())
    print(yardstick.share(orders_per_second))      # "0.51 % of pgbench tps"

It creates its own scratch database (`bench_pgbench`) on the server of `server_url`, which must be
127.0.0.1, and drops it afterwards. `pgbench` must be on PATH (Debian: postgresql-client).
"""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import urlparse

SCRATCH_DB = "bench_pgbench"


@dataclass(frozen=True)
class Pgbench:
    tps: float | None  # None: not run (--no-pgbench) or pgbench missing
    latency_ms: float | None
    settings: str
    note: str = ""

    def describe(self) -> str:
        if self.tps is None:
            return f"pgbench: not run ({self.note})"
        return f"pgbench ({self.settings}): {self.tps:,.0f} tps, latency average {self.latency_ms:.2f} ms"

    def share(self, per_second: float) -> str:
        """A rate (orders/s, requests/s) as a share of pgbench's transactions per second."""
        if self.tps is None:
            return "n/a (no pgbench)"
        return f"{100.0 * per_second / self.tps:.2f} % of pgbench tps"


def libpq_env(server_url: str) -> dict[str, str]:
    parsed = urlparse(server_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(
        {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(parsed.port or 5432),
            "PGUSER": parsed.username or "postgres",
            "PGCONNECT_TIMEOUT": "10",
            "PGOPTIONS": "-c client_min_messages=warning",
        }
    )
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return env


def run_command(args: list[str], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def pgbench_run(
    server_url: str, *, scale: int = 10, clients: int = 8, threads: int = 2, seconds: int = 15, skip: bool = False
) -> Pgbench:
    settings = f"TPC-B-like, scale {scale}, {clients} clients, {threads} threads, {seconds} s"
    if skip:
        return Pgbench(None, None, settings, note="skipped")
    if shutil.which("pgbench") is None:
        return Pgbench(None, None, settings, note="pgbench is not installed")
    if urlparse(server_url).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit("pgbench only runs against 127.0.0.1.")
    env = libpq_env(server_url)
    admin_db = (urlparse(server_url).path or "/postgres").lstrip("/") or "postgres"
    psql = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_db, "-c"]
    run_command([*psql, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"], env, 60)
    run_command([*psql, f"CREATE DATABASE {SCRATCH_DB}"], env, 60)
    try:
        run_command(["pgbench", "-i", "-q", "-s", str(scale), SCRATCH_DB], env, 600)
        output = run_command(
            ["pgbench", "-c", str(clients), "-j", str(threads), "-T", str(seconds), SCRATCH_DB], env, seconds + 120
        )
    finally:
        run_command([*psql, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"], env, 120)
    tps = re.search(r"^tps = ([0-9.]+) \(without initial connection time\)", output, re.M)
    latency = re.search(r"^latency average = ([0-9.]+) ms", output, re.M)
    if tps is None or latency is None:
        raise RuntimeError(f"Could not read pgbench's output:\n{output}")
    return Pgbench(float(tps.group(1)), float(latency.group(1)), settings)
