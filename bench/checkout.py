"""Checkout through the real pages under concurrency: gunicorn + PostgreSQL, N shoppers at once.

    .venv/bin/python bench/checkout.py [--clients 16] [--seconds 20] [--workers 5] [--max-orders 5000]
                                       [--redis redis://127.0.0.1:6379/N] [--no-pgbench] [--keep]

It creates a scratch database (`bench_checkout`) on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, and seeds products with limited stock (a
few scarce products that run out during the run, and one plentiful). Then it starts gunicorn on
127.0.0.1 with the production settings (DEBUG off; no SSL redirect; e-mails discarded) and runs N
client threads. Without --redis, tasks (the order e-mail) run in-process after commit and sessions
live in the database alone; with --redis (a Redis database of its own: a worker started elsewhere
on it would take these tasks) the shop runs as in production: sessions read from Redis and written
through to the database, and the tasks queued for one Celery worker that this script starts. Each
client is a guest with its own session (cookies and CSRF as a browser has them) and, until the time
or the order budget is used up, repeatedly: opens the catalogue, adds a scarce and a plentiful
product to the cart, opens the checkout, posts its details, opens the review page (which renders
the one-time key) and presses "Place order". Nothing is posted that a browser would not post.

It prints orders per second, the p50/p95/p99 latency of the place-order request, the CPU time a
checkout cost in gunicorn, PostgreSQL, Redis, the Celery worker and this script's shoppers (read
from /proc, beside what the machine's cores could give per checkout: where a faster checkout has
to come from), how often a shopper found the scarce product sold out (at the checkout, after
typing the address, or on pressing "Place order" when another order took the last units first:
nothing is placed then), how
the orders ended (verified; none should be on hold for stock), and the units oversold: allocated +
dispatched against stock received, per product (must be 0). Before the shoppers start it runs
pgbench (bench/_pgbench.py) and prints orders/s as a share of its tps, a figure that moves less
than orders/s with whatever else the machine runs. Only 127.0.0.1 is contacted. The scratch
database is dropped afterwards unless --keep.
"""

# Imports of Django and of the project sit inside the functions that need them: they can run only
# after django.setup() has pointed the settings at this benchmark's scratch database.

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

from _pgbench import pgbench_run

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "bench_checkout"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
# sku, name, price, units in stock (split over two warehouses), back-orderable
SCARCE = [(f"SCARCE-{i}", f"Scarce product {i}", "19.90", 25) for i in range(1, 7)]
PLENTIFUL = ("PLENTY-1", "Plentiful product", "4.50", 100_000)  # 2/3 in one receipt: within STOCK_MOVEMENT_MAX_QUANTITY
MAX_SECONDS = 600
MAX_CLIENTS = 128


def _scratch_url(server_url: str) -> str:
    parsed = urlparse(server_url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must be a PostgreSQL URL: this benchmark measures checkout on PostgreSQL.")
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"This benchmark only talks to 127.0.0.1 (DATABASE_URL points at {parsed.hostname!r}).")
    return urlunparse(parsed._replace(netloc=parsed.netloc.replace("localhost", HOST), path=f"/{SCRATCH_DB}"))


def _server_admin(server_url: str, sql: str) -> None:
    import psycopg

    parsed = urlparse(server_url)
    with psycopg.connect(
        host=HOST,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        connection.execute(sql)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _server_env(scratch_url: str, static_root: str, redis_url: str) -> dict[str, str]:
    """Production settings, made to run on plain HTTP on this machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "orders_site.settings.production",
            "DATABASE_URL": scratch_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            # Empty: tasks (the order e-mail) run in-process after commit, sessions in the database.
            "REDIS_URL": redis_url,
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "STATIC_ROOT": static_root,
            "LOG_LEVEL": "ERROR",  # errors (tracebacks) still show
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _seed() -> dict[str, int]:
    """Products with stock received through the inventory service; a delivery method."""
    from decimal import Decimal

    from inventory.models import Product, TaxClass, Warehouse
    from inventory.services import stock_receive
    from orders.models import DeliveryMethod, RiskRules

    tax = TaxClass.objects.create(name="Standard", rate=Decimal("0.21"))
    warehouses = [
        Warehouse.objects.create(code="AMS", name="Amsterdam", priority=1),
        Warehouse.objects.create(code="RTM", name="Rotterdam", priority=2),
    ]
    ids = {}
    for sku, name, price, units in [*SCARCE, PLENTIFUL]:
        product = Product.objects.create(sku=sku, name=name, slug=sku.lower(), price=Decimal(price), tax_class=tax)
        first = units * 2 // 3
        for warehouse, quantity in ((warehouses[0], first), (warehouses[1], units - first)):
            stock_receive(product=product, warehouse=warehouse, quantity=quantity, reference="bench", confirmed=True)
        ids[sku] = product.pk
    DeliveryMethod.objects.create(
        code="standard", name="Standard delivery", fee=Decimal("4.95"), tax_rate=Decimal("0.21"), min_days=1, max_days=3
    )
    RiskRules.current()  # defaults; every client orders as a different guest, below the thresholds
    return ids


# --- The shoppers -----------------------------------------------------------------------------


class Refused(Exception):
    """The shop said no in a way a shopper would handle (sold out): start again. args[0] says when."""


@dataclass
class Results:
    place_latencies: list[float] = field(default_factory=list)
    orders: int = 0
    refused: Counter = field(default_factory=Counter)  # when the shopper was told "sold out"
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browser:
    """One guest's session: cookies kept by hand (the Secure flag is ignored on this plain-HTTP run)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), text
        finally:
            connection.close()

    def get(self, path: str) -> str:
        status, location, text = self.request("GET", path)
        if status == 302:
            raise Refused(f"opening {path}")
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}")
        return text

    def post(self, path: str, form: dict, *, csrf_page: str) -> tuple[int, str]:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', csrf_page)
        if token is None:
            raise RuntimeError(f"no CSRF token on the page before POST {path}")
        status, location, _ = self.request("POST", path, {"csrfmiddlewaretoken": token.group(1), **form})
        return status, location


def _shop_once(browser: Browser, number: int, skus: dict[str, int], results: Results) -> None:
    catalogue = browser.get("/")
    scarce = random.choice([sku for sku, *_ in SCARCE])
    for sku, quantity in ((scarce, random.randint(1, 2)), (PLENTIFUL[0], 1)):
        status, _ = browser.post("/cart/add/", {"product": skus[sku], "quantity": quantity}, csrf_page=catalogue)
        if status != 302:
            raise RuntimeError(f"add to cart: HTTP {status}")
    try:
        details_page = browser.get("/checkout/")
    except Refused:  # what was added is sold out by now: take it out, as a shopper would
        cart = browser.get("/cart/")
        browser.post("/cart/remove/", {"product": skus[scarce]}, csrf_page=cart)
        details_page = browser.get("/checkout/")
    details = {
        "email": f"shopper{number}@bench.example",
        "ship_full_name": f"Shopper {number}",
        "ship_line1": "Keizersgracht 10",
        "ship_postal_code": "1015 CJ",
        "ship_city": "Amsterdam",
        "ship_country": "NL",
        "billing_same": "on",
        "delivery_method": "standard",
        "payment_method": "bank_transfer",
    }
    status, location = browser.post("/checkout/", details, csrf_page=details_page)
    if status == 302 and location.endswith("/cart/"):
        raise Refused("after typing the address")
    if status != 302 or not location.endswith("/checkout/review/"):
        raise RuntimeError(f"checkout details: HTTP {status} -> {location!r}")
    review = browser.get("/checkout/review/")
    key = re.search(r'name="idempotency_key" value="([0-9a-f]{32})"', review).group(1)
    started = time.perf_counter()
    status, location = browser.post("/checkout/place/", {"idempotency_key": key}, csrf_page=review)
    elapsed = time.perf_counter() - started
    if status == 302 and re.search(r"/orders/\d+/$", location):
        with results.lock:
            results.orders += 1
            results.place_latencies.append(elapsed)
        browser.get(urlparse(location).path)  # the order page, as the shopper sees it
    elif status == 302 and location.endswith("/cart/"):
        raise Refused("on placing the order")
    else:
        raise RuntimeError(f"place order: HTTP {status} -> {location!r}")


def _client(index: int, port: int, deadline: float, budget: threading.Semaphore, skus, results: Results) -> None:
    browser = Browser(port)
    attempt = 0
    while time.monotonic() < deadline and budget.acquire(blocking=False):
        attempt += 1
        try:
            _shop_once(browser, index * 100_000 + attempt, skus, results)
        except Refused as refused:
            with results.lock:
                results.refused[refused.args[0]] += 1
            browser = Browser(port)  # the next shopper, with a fresh cart
        except Exception as error:  # report, keep shopping
            with results.lock:
                results.errors.append(f"client {index}: {error}")
            time.sleep(0.1)


def _wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("gunicorn exited before it served a page; see its output above.")
        try:
            status, _, _ = Browser(port).request("GET", "/")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within a minute.")


def _cpu_seconds(sessions: dict[str, int | None]) -> dict[str, float] | None:
    """CPU seconds (user + system) used so far by each named process session (gunicorn's, the
    Celery worker's: started in sessions of their own), by every PostgreSQL and Redis process, and
    by this script (the shoppers' threads). None where /proc cannot be read (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    servers = {"postgres": "PostgreSQL", "redis-server": "Redis"}
    used = {name: 0.0 for name in (*sessions, *servers.values())}
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat") as stat:
                text = stat.read()
        except OSError:
            continue  # it ended meanwhile
        comm, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        session, seconds = int(fields[3]), (int(fields[11]) + int(fields[12])) / tick
        for name, session_id in sessions.items():
            if session_id is not None and session == session_id:
                used[name] += seconds
        if comm in servers:
            used[servers[comm]] += seconds
    mine = os.times()
    used["the shoppers (this script)"] = mine.user + mine.system
    return used


def _cpu_line(before: dict[str, float] | None, after: dict[str, float] | None, orders: int, elapsed: float) -> str:
    """Milliseconds of CPU per checkout by process, and what the machine's cores had to give."""
    if before is None or after is None or not orders:
        return "not measured (no /proc)"
    used = {name: 1000 * (after[name] - before[name]) / orders for name in after}
    parts = [f"{name} {ms:.0f}" if ms >= 0.5 else f"{name} under 1" for name, ms in used.items() if ms > 0]
    cores = os.cpu_count() or 1
    return f"{', '.join(parts)} ms; of the {cores} cores' {1000 * cores * elapsed / orders:.0f} ms per checkout"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _stock_report() -> tuple[int, dict[str, int], list[str]]:
    """Units oversold per product: allocated + dispatched beyond what was received."""
    from django.db import connection
    from django.db.models import Count, F, Q, Sum

    from inventory.models import Product, StockLevel, StockMovement
    from orders.models import Order
    from orders_site.core.formatting import count_display

    connection.close()
    oversold = 0
    lines = []
    for product in Product.objects.order_by("sku"):
        received = (
            StockMovement.objects.filter(stock_level__product=product, kind__in=["receipt", "return"]).aggregate(
                total=Sum("on_hand_delta")
            )["total"]
            or 0
        )
        dispatched = -(
            StockMovement.objects.filter(stock_level__product=product, kind="dispatch").aggregate(
                total=Sum("on_hand_delta")
            )["total"]
            or 0
        )
        allocated = StockLevel.objects.filter(product=product).aggregate(total=Sum("allocated"))["total"] or 0
        over = max(0, allocated + dispatched - received)
        oversold += over
        if product.sku != PLENTIFUL[0]:
            lines.append(f"  {product.sku:<10} received {received:>4}  allocated {allocated:>4}  oversold {over}")
    broken = StockLevel.objects.filter(Q(allocated__gt=F("on_hand")) | Q(on_hand__lt=0) | Q(allocated__lt=0)).count()
    if broken:
        lines.append(f"  {count_display(broken, 'stock level')} break on_hand >= allocated >= 0")
        oversold += broken
    statuses = dict(Order.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return oversold, statuses, lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent shoppers (default 16)")
    parser.add_argument("--seconds", type=float, default=20, help="how long they shop (default 20)")
    parser.add_argument("--max-orders", type=int, default=5000, help="stop after this many checkouts")
    parser.add_argument(
        "--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9), help="gunicorn worker processes"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (default 1: sync workers, as README's production command runs them)",
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the scratch database {SCRATCH_DB}")
    parser.add_argument(
        "--redis",
        default="",
        metavar="URL",
        help="run as production does: sessions cached and tasks queued on this Redis database (127.0.0.1 only; "
        "one no other worker uses), with one Celery worker started here",
    )
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        sys.exit(f"--clients must be 1..{MAX_CLIENTS} and --seconds 1..{MAX_SECONDS}.")

    server_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    scratch_url = _scratch_url(server_url)
    static_root = tempfile.mkdtemp(prefix="bench-checkout-static-")
    if args.redis and urlparse(args.redis).hostname not in ("127.0.0.1", "localhost"):
        sys.exit("--redis must point at 127.0.0.1.")
    env = _server_env(scratch_url, static_root, args.redis)

    yardstick = pgbench_run(server_url, skip=args.no_pgbench)
    print(yardstick.describe())

    print(f"Preparing {SCRATCH_DB}: migrate, collect static files, seed products with limited stock ...")
    _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    _server_admin(server_url, f"CREATE DATABASE {SCRATCH_DB}")
    server = worker = None
    try:
        _django_setup(env)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        skus = _seed()
        connection.close()

        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "orders_site.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread" if args.threads > 1 else "sync",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        if args.redis:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "orders_site", "worker", "--concurrency", "1"]
                + ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=ROOT,
                env=env,
                start_new_session=True,
            )
        _wait_until_up(port, server)
        print(
            f"gunicorn on {HOST}:{port} ({args.workers} workers x {args.threads} threads); "
            f"{'sessions and tasks on Redis, 1 Celery worker' if args.redis else 'no Redis'}; "
            f"{args.clients} clients for {args.seconds:g} s ..."
        )

        results = Results()
        budget = threading.Semaphore(args.max_orders)
        sessions = {"gunicorn": server.pid, "Celery": worker.pid if worker else None}
        cpu_before = _cpu_seconds(sessions)
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=_client, args=(i, port, deadline, budget, skus, results), daemon=True)
            for i in range(args.clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 120)
        elapsed = time.monotonic() - started
        cpu_after = _cpu_seconds(sessions)
    finally:
        for process in (server, worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    oversold, statuses, stock_lines = _stock_report()
    from django.db import connection

    connection.close()
    if not args.keep:
        _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")

    latencies_ms = [1000 * s for s in results.place_latencies]
    print()
    rate = results.orders / elapsed
    print(f"checkouts completed   {results.orders} in {elapsed:.1f} s = {rate:.1f} orders/s")
    print(f"against pgbench       {yardstick.share(rate)}  ({yardstick.describe()})")
    if latencies_ms:
        print(
            "place-order latency   "
            f"p50 {_percentile(latencies_ms, 0.50):.0f} ms  p95 {_percentile(latencies_ms, 0.95):.0f} ms  "
            f"p99 {_percentile(latencies_ms, 0.99):.0f} ms  (mean {statistics.fmean(latencies_ms):.0f} ms)"
        )
    print(f"CPU per checkout      {_cpu_line(cpu_before, cpu_after, results.orders, elapsed)}")
    when = ", ".join(f"{stage} {n}" for stage, n in sorted(results.refused.items()))
    print(f"sold out, retried     {results.refused.total()}{f' ({when})' if when else ''}")
    print(f"orders by status      {', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}")
    print("scarce products:")
    print("\n".join(stock_lines))
    print(f"units oversold        {oversold}")
    if results.errors:
        print(f"errors                {len(results.errors)}, first: {results.errors[:3]}")
    sys.exit(1 if oversold or results.errors else 0)


if __name__ == "__main__":
    main()
