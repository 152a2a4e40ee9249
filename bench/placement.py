"""Order placement on PostgreSQL, shaped like the django-oscar anchor (../shared/anchors/oscar/run.sh):
1,000 plentiful products, 3 distinct per order, 500 orders in one process (after 20 warm-up ones),
then 8 processes x 250 orders starting together at a barrier, and an oversell race (50 processes
for 10 units). With a pgbench run in the same invocation (bench/_pgbench.py), so every rate is
also a share of what this PostgreSQL does here.

    .venv/bin/python bench/placement.py [--sequential 500] [--workers 8] [--per-worker 250] [--keep] [--no-pgbench]

Each order is what the storefront's place-order POST runs once the cart is checked:
lifecycle.checkout.order_checkout with an idempotency key and refuse_when_sold_out, paid by bank
transfer, for a customer of its own (made beforehand, as oscar's bench makes its users), in one
transaction of its own. The "order received" e-mail is a task a worker runs after commit; it is
not sent here (oscar's bench: order e-mail off). The rates compare with the anchor's "b.
concurrent" figure (oscar's build+checkout: our cart lives in the session and costs no SQL).

It runs in a scratch database (`orders_bench_placement`, dropped afterwards unless --keep) on the
server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres), 127.0.0.1 only.
Afterwards it checks that nothing was oversold, that the units allocated equal the units on the
order lines, and that the stock ledger still equals the levels (inventory.selectors.
stock_audit_differences, what `manage.py stock_audit` runs).
"""

# Imports of Django and of the project sit inside the functions that need them: they can run only
# after django.setup() has pointed the settings at this benchmark's scratch database.

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from unittest import mock
from urllib.parse import urlparse, urlunparse

from _pgbench import libpq_env, pgbench_run, run_command

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "orders_bench_placement"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PLENTY = 10**7
SEED = 20261128


def _scratch_url(server_url: str) -> str:
    parsed = urlparse(server_url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must be a PostgreSQL URL: this benchmark measures placement on PostgreSQL.")
    if parsed.hostname != "127.0.0.1":
        sys.exit(f"This benchmark only talks to 127.0.0.1 (DATABASE_URL points at {parsed.hostname!r}).")
    return urlunparse(parsed._replace(path=f"/{SCRATCH_DB}"))


def _psql(server_url: str, sql: str) -> None:
    admin_db = (urlparse(server_url).path or "/postgres").lstrip("/") or "postgres"
    run_command(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_db, "-c", sql], libpq_env(server_url), 120)


def _django_setup(scratch_url: str) -> None:
    os.environ["DATABASE_URL"] = scratch_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders_site.settings.local"
    os.environ["DEBUG"] = "false"  # no query log kept in memory
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _shop(products: int, customers: int):
    """One warehouse with `products` products of plenty of stock each (received through ledger
    rows), a delivery method, and `customers` customers. Returns (product ids, customer ids, delivery)."""
    from decimal import Decimal

    from inventory.models import Product, StockLevel, StockMovement, TaxClass, Warehouse
    from orders.models import Customer, DeliveryMethod, RiskRules

    tax = TaxClass.objects.create(name="Standard", rate=Decimal("0.21"))
    warehouse = Warehouse.objects.create(code="AMS", name="Amsterdam", priority=1)
    made = Product.objects.bulk_create(
        [
            Product(
                sku=f"SKU-{i:04d}",
                name=f"Product {i}",
                slug=f"sku-{i}",
                price=Decimal("10.00") + i % 50,
                tax_class=tax,
            )
            for i in range(products)
        ]
    )
    levels = StockLevel.objects.bulk_create([StockLevel(product=p, warehouse=warehouse, on_hand=PLENTY) for p in made])
    StockMovement.objects.bulk_create(
        [StockMovement(stock_level=lv, kind="receipt", on_hand_delta=lv.on_hand, reference="bench") for lv in levels]
    )
    buyers = Customer.objects.bulk_create(
        [Customer(email=f"buyer{i}@example.com", full_name=f"Buyer {i}") for i in range(customers)]
    )
    delivery = DeliveryMethod.objects.create(
        code="standard", name="Standard delivery", fee=Decimal("4.95"), tax_rate=Decimal("0.21")
    )
    RiskRules.current()
    return [p.pk for p in made], [c.pk for c in buyers], delivery.pk


def _place(customer_id: int, product_ids: list[int], delivery_id: int):
    """One place-order request: its own transaction. Returns (status, seconds)."""
    from lifecycle.checkout import order_checkout
    from orders.models import Customer, DeliveryMethod, Order
    from orders.services.placement import AddressData, LineRequest

    customer = Customer(pk=customer_id, email=f"buyer{customer_id}@example.com", full_name="Buyer")
    address = AddressData(
        full_name="Bench Buyer", line1="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
    )
    delivery = _delivery(delivery_id, DeliveryMethod)
    started = time.perf_counter()
    try:
        order = order_checkout(
            customer=customer,
            lines=[LineRequest(product_id=pk, quantity=1) for pk in product_ids],
            channel=Order.Channel.WEB,
            delivery_method=delivery,
            payment_method=Order.PaymentMethod.BANK_TRANSFER,
            billing_address=address,
            shipping_address=address,
            idempotency_key=uuid.uuid4().hex,
            refuse_when_sold_out=True,
        )
        status = str(order.status)
    except Exception as error:  # SoldOut in the race; deadlocks and the like are counted
        status = type(error).__name__
    return status, time.perf_counter() - started


_DELIVERY = {}


def _delivery(pk, model):
    # The storefront reads the chosen method with the checkout form; the bench reads it once.
    if pk not in _DELIVERY:
        _DELIVERY[pk] = model.objects.get(pk=pk)
    return _DELIVERY[pk]


def _pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))] * 1000


def _sequential(product_ids, customer_ids, delivery_id, lines, warmup, count) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(SEED)
    buyers = iter(customer_ids)
    for _ in range(warmup):
        _place(next(buyers), rng.sample(product_ids, lines), delivery_id)
    with CaptureQueriesContext(connection) as captured:
        status, _ = _place(next(buyers), rng.sample(product_ids, lines), delivery_id)
    assert status == "verified", status
    if os.environ.get("BENCH_DUMP_QUERIES"):
        Path(os.environ["BENCH_DUMP_QUERIES"]).write_text("".join(q["sql"] + ";\n" for q in captured.captured_queries))
    times, statuses = [], {}
    started = time.perf_counter()
    for _ in range(count):
        status, seconds = _place(next(buyers), rng.sample(product_ids, lines), delivery_id)
        statuses[status] = statuses.get(status, 0) + 1
        times.append(seconds)
    wall = time.perf_counter() - started
    return {
        "orders": count,
        "statuses": statuses,
        "wall": wall,
        "rate": statuses.get("verified", 0) / wall,
        "mean": statistics.mean(times) * 1000,
        "p50": _pct(times, 50),
        "p95": _pct(times, 95),
        "queries": len(captured.captured_queries),
        "statements_inside": sum(q["sql"] not in ("BEGIN", "COMMIT") for q in captured.captured_queries),
        "used_customers": warmup + 1 + count,
    }


def _worker(index, customer_ids, product_ids, delivery_id, lines, barrier, results) -> None:
    from django.db import connection

    connection.close()  # a connection of its own, never the parent's
    rng = random.Random(SEED + 1000 + index)
    out = {"times": [], "statuses": {}}
    try:
        connection.ensure_connection()
        barrier.wait(timeout=120)
        for customer_id in customer_ids:
            status, seconds = _place(customer_id, rng.sample(product_ids, lines), delivery_id)
            out["statuses"][status] = out["statuses"].get(status, 0) + 1
            if status == "verified":
                out["times"].append(seconds)
        out["end"] = time.monotonic()
    finally:
        connection.close()
        results.put(out)


def _concurrent(product_ids, customer_ids, delivery_id, lines, workers, per_worker) -> dict:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    shares = [customer_ids[i * per_worker : (i + 1) * per_worker] for i in range(workers)]
    processes = [
        context.Process(target=_worker, args=(i, share, product_ids, delivery_id, lines, barrier, results))
        for i, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    started = time.monotonic()
    outs = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    ends = [out["end"] for out in outs if "end" in out]
    wall = (max(ends) if ends else time.monotonic()) - started
    statuses, times = {}, []
    for out in outs:
        times.extend(out["times"])
        for status, n in out["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return {
        "orders": workers * per_worker,
        "statuses": statuses,
        "wall": wall,
        "rate": statuses.get("verified", 0) / wall,
        "p50": _pct(times, 50),
        "p95": _pct(times, 95),
        "p99": _pct(times, 99),
    }


def _race_one(customer_id, product_id, delivery_id, barrier, results) -> None:
    from django.db import connection

    connection.close()
    try:
        connection.ensure_connection()
        barrier.wait(timeout=120)
        results.put(_place(customer_id, [product_id], delivery_id)[0])
    except Exception as error:
        results.put(type(error).__name__)
    finally:
        connection.close()


def _race(customer_ids, delivery_id, buyers: int, units: int) -> dict:
    """`buyers` processes for one unit each of a product with `units` in stock, at once."""
    from decimal import Decimal

    from django.db import connections

    from inventory.models import Product, StockLevel, StockMovement, TaxClass, Warehouse

    product = Product.objects.create(
        sku="RACE", name="Race product", slug="race", price=Decimal("10.00"), tax_class=TaxClass.objects.first()
    )
    level = StockLevel.objects.create(product=product, warehouse=Warehouse.objects.get(code="AMS"), on_hand=units)
    StockMovement.objects.create(stock_level=level, kind="receipt", on_hand_delta=units, reference="bench")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(buyers)
    results = context.Queue()
    processes = [
        context.Process(target=_race_one, args=(customer_id, product.pk, delivery_id, barrier, results))
        for customer_id in customer_ids[:buyers]
    ]
    for process in processes:
        process.start()
    statuses = {}
    for _ in processes:
        status = results.get(timeout=300)
        statuses[status] = statuses.get(status, 0) + 1
    for process in processes:
        process.join(timeout=30)
    level.refresh_from_db()
    return {"statuses": statuses, "on_hand": level.on_hand, "allocated": level.allocated}


def _checks() -> dict:
    from django.db.models import F, Sum

    from inventory.models import StockAllocation, StockLevel
    from inventory.selectors import stock_audit_differences
    from orders.models import OrderLine

    return {
        "oversold_levels": StockLevel.objects.filter(allocated__gt=F("on_hand")).count(),
        "ledger_differences": len(stock_audit_differences()),
        "allocated": StockAllocation.objects.aggregate(n=Sum("quantity"))["n"] or 0,
        "units_on_lines": OrderLine.objects.aggregate(n=Sum("quantity"))["n"] or 0,
    }


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=3, help="distinct products per order, 1 unit each")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--sequential", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--per-worker", type=int, default=250)
    parser.add_argument("--race-buyers", type=int, default=50)
    parser.add_argument("--race-units", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help=f"keep the {SCRATCH_DB} database afterwards")
    parser.add_argument("--no-pgbench", action="store_true")
    arguments = parser.parse_args()

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    scratch_url = _scratch_url(server_url)
    print(f"before: {_load()}", flush=True)
    yardstick = pgbench_run(server_url, skip=arguments.no_pgbench)
    print(yardstick.describe(), flush=True)
    share = yardstick.share

    _psql(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    _psql(server_url, f"CREATE DATABASE {SCRATCH_DB}")
    started = time.monotonic()
    try:
        _django_setup(scratch_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, skip_checks=True)
        customers = arguments.warmup + 1 + arguments.sequential + arguments.workers * arguments.per_worker
        product_ids, customer_ids, delivery_id = _shop(arguments.products, customers + arguments.race_buyers)
        # The e-mail goes out from a worker after commit; not part of placement (see the docstring).
        with mock.patch("orders.services.notifications.task_send_on_commit"):
            seq = _sequential(
                product_ids, customer_ids, delivery_id, arguments.lines, arguments.warmup, arguments.sequential
            )
            print(f"a. sequential done ({_load()})", flush=True)
            rest = customer_ids[seq["used_customers"] : customers]
            conc = _concurrent(product_ids, rest, delivery_id, arguments.lines, arguments.workers, arguments.per_worker)
            print(f"b. concurrent done ({_load()})", flush=True)
            checks = _checks()
            race = _race(customer_ids[customers:], delivery_id, arguments.race_buyers, arguments.race_units)
            race_checks = _checks()

        print()
        print("=" * 100)
        print(f"Order placement (lifecycle.checkout.order_checkout), PostgreSQL at 127.0.0.1, {SCRATCH_DB}")
        print(f"{arguments.products} products, {arguments.lines} distinct per order, 1 unit each; {_load()}")
        print("=" * 100)
        print(yardstick.describe())
        print(
            f"a. sequential, 1 process, {seq['orders']} orders (+{arguments.warmup} warm-up): "
            f"{seq['rate']:.1f} orders/s ({share(seq['rate'])}); mean {seq['mean']:.1f} ms, "
            f"p50 {seq['p50']:.1f}, p95 {seq['p95']:.1f}; {seq['queries']} queries per order "
            f"({seq['statements_inside']} inside BEGIN ... COMMIT); {seq['statuses']}"
        )
        print(
            f"b. concurrent, {arguments.workers} processes x {arguments.per_worker}: {conc['rate']:.1f} orders/s "
            f"({share(conc['rate'])}) in {conc['wall']:.1f} s; p50 {conc['p50']:.1f} ms, p95 {conc['p95']:.1f}, "
            f"p99 {conc['p99']:.1f}; {conc['statuses']}"
        )
        print(
            f"   after a+b: oversold levels {checks['oversold_levels']}, ledger differences "
            f"{checks['ledger_differences']}, allocated {checks['allocated']} = units on lines "
            f"{checks['units_on_lines']}: {'consistent' if checks['allocated'] == checks['units_on_lines'] else 'NOT'}"
        )
        print(
            f"c. oversell race, {arguments.race_buyers} processes for {arguments.race_units} units: "
            f"{race['statuses']}; "
            f"on hand {race['on_hand']}, allocated {race['allocated']} -> oversold "
            f"{max(0, race['allocated'] - race['on_hand'])}; ledger differences {race_checks['ledger_differences']}"
        )
        print(f"(total wall time {time.monotonic() - started:.0f} s)")
    finally:
        from django.db import connections

        connections.close_all()
        if not arguments.keep:
            _psql(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
