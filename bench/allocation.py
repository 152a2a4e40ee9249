"""Allocation throughput on PostgreSQL: allocations per second with 1, 8 and 32 workers, for a hot
SKU (every order wants the same product) and spread over 1,000 SKUs.

    .venv/bin/python bench/allocation.py [--seconds 3] [--workers 1,8,32] [--keep]

Each worker is a process with its own connection, calling `stock_allocate_order` on pre-made
one-line orders, one transaction each, until the time is up. It runs in a scratch database
(`bench_allocation`, dropped afterwards unless --keep) on the server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres) and talks to 127.0.0.1 only. After each run it checks
that nothing was oversold and that the ledger still equals the levels.
"""

# Imports of Django and of the project sit inside the functions that need them: they can run only
# after django.setup() has pointed the settings at this benchmark's scratch database.

import argparse
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
SCRATCH_DB = "bench_allocation"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SPREAD_SKUS = 1000
HOT_STOCK = 10**7
SPREAD_STOCK = 10**5


def _scratch_url(server_url: str) -> str:
    parsed = urlparse(server_url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must be a PostgreSQL URL: this benchmark measures row locking on PostgreSQL.")
    if parsed.hostname != "127.0.0.1":
        sys.exit(f"This benchmark only talks to 127.0.0.1 (DATABASE_URL points at {parsed.hostname!r}).")
    return urlunparse(parsed._replace(path=f"/{SCRATCH_DB}"))


def _server_admin(server_url: str, sql: str) -> None:
    import psycopg

    parsed = urlparse(server_url)
    with psycopg.connect(
        host="127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=(parsed.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    ) as connection:
        connection.execute(sql)


def _django_setup(scratch_url: str) -> None:
    os.environ["DATABASE_URL"] = scratch_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders_site.settings.local"
    os.environ["DEBUG"] = "false"  # no query log kept in memory
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _catalogue():
    """One warehouse, a hot product and 1,000 others, with stock received through the ledger's rows."""
    from decimal import Decimal

    from inventory.models import Product, StockLevel, StockMovement, TaxClass, Warehouse
    from orders.models import Address, Customer, DeliveryMethod

    tax = TaxClass.objects.create(name="Standard", rate=Decimal("0.21"))
    warehouse = Warehouse.objects.create(code="AMS", name="Amsterdam", priority=1)
    products = Product.objects.bulk_create(
        [Product(sku="HOT", name="Hot product", slug="hot", price=Decimal("10.00"), tax_class=tax)]
        + [
            Product(sku=f"SKU-{i:04d}", name=f"Product {i}", slug=f"sku-{i}", price=Decimal("10.00"), tax_class=tax)
            for i in range(SPREAD_SKUS)
        ]
    )
    levels = StockLevel.objects.bulk_create(
        [
            StockLevel(product=p, warehouse=warehouse, on_hand=HOT_STOCK if i == 0 else SPREAD_STOCK)
            for i, p in enumerate(products)
        ]
    )
    StockMovement.objects.bulk_create(
        [StockMovement(stock_level=lv, kind="receipt", on_hand_delta=lv.on_hand, reference="bench") for lv in levels]
    )
    customer = Customer.objects.create(email="bench@example.com", full_name="Bench Buyer")
    address = Address.objects.create(
        full_name="Bench Buyer", line1="Keizersgracht 1", postal_code="1015 CJ", city="Amsterdam", country="NL"
    )
    delivery = DeliveryMethod.objects.create(code="standard", name="Standard", fee=Decimal("0"))
    return products[0], products[1:], customer, address, delivery


def _orders(prefix: str, products, count: int, customer, address, delivery) -> list[tuple[int, str]]:
    """`count` one-line draft orders of 1 unit each, for random products of `products`."""
    from decimal import Decimal

    from orders.models import Order, OrderLine

    rng = random.Random(prefix)
    made = []
    for start in range(0, count, 5000):
        batch = Order.objects.bulk_create(
            [
                Order(
                    number=f"{prefix}{i:07d}",
                    customer=customer,
                    email=customer.email,
                    delivery_method=delivery,
                    delivery_method_name=delivery.name,
                    billing_address=address,
                    payment_method="bank_transfer",
                )
                for i in range(start, min(start + 5000, count))
            ]
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    product=(product := rng.choice(products)),
                    sku=product.sku,
                    name=product.name,
                    kind="physical",
                    quantity=1,
                    unit_price=Decimal("10.00"),
                    tax_rate=Decimal("0.21"),
                    net_amount=Decimal("10.00"),
                    tax_amount=Decimal("2.10"),
                    line_total=Decimal("12.10"),
                )
                for order in batch
            ]
        )
        made.extend((order.pk, order.number) for order in batch)
    return made


def _worker(orders, go_at: float, stop_at: float, results) -> None:
    from django.db import connection

    from inventory.services import stock_allocate_order
    from orders.models import Order

    connection.close()  # a connection of its own, never the parent's
    done = short = errors = 0
    while time.monotonic() < go_at:
        time.sleep(0.001)
    for pk, number in orders:
        if time.monotonic() >= stop_at:
            break
        try:
            result = stock_allocate_order(order=Order(pk=pk, number=number))
        except Exception:
            errors += 1
            continue
        done += 1
        short += not result.complete
    connection.close()
    results.put((done, short, errors))


def _run(label: str, orders, workers: int, seconds: float) -> dict:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    go_at = time.monotonic() + 1.0
    stop_at = go_at + seconds
    shares = [orders[i::workers] for i in range(workers)]
    processes = [context.Process(target=_worker, args=(share, go_at, stop_at, results)) for share in shares]
    for process in processes:
        process.start()
    counts = [results.get(timeout=seconds + 60) for _ in processes]
    finished = time.monotonic()
    for process in processes:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
    done = sum(c[0] for c in counts)
    elapsed = min(finished, stop_at) - go_at if done < len(orders) else finished - go_at
    return {
        "scenario": label,
        "workers": workers,
        "allocations": done,
        "short": sum(c[1] for c in counts),
        "errors": sum(c[2] for c in counts),
        "seconds": elapsed,
        "rate": done / elapsed if elapsed > 0 else 0.0,
        "exhausted": done >= len(orders),
    }


def _check() -> str:
    from inventory.models import StockLevel
    from inventory.selectors import stock_audit_differences

    oversold = StockLevel.objects.filter(allocated__gt=models_F("on_hand")).count()
    differences = len(stock_audit_differences())
    return "ok" if not oversold and not differences else f"OVERSOLD {oversold}, ledger differences {differences}"


def models_F(name):
    from django.db.models import F

    return F(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per run (default 3)")
    parser.add_argument("--workers", default="1,8,32", help="worker counts (default 1,8,32)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {SCRATCH_DB} database afterwards")
    arguments = parser.parse_args()
    worker_counts = [int(n) for n in arguments.workers.split(",")]
    seconds = min(max(arguments.seconds, 0.5), 30.0)

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    scratch_url = _scratch_url(server_url)
    _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
    _server_admin(server_url, f"CREATE DATABASE {SCRATCH_DB}")
    started = time.monotonic()
    try:
        _django_setup(scratch_url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0, skip_checks=True)
        hot, spread, customer, address, delivery = _catalogue()
        rows = []
        for label, products in (("hot (1 SKU)", [hot]), (f"spread ({SPREAD_SKUS:,} SKUs)", spread)):
            for workers in worker_counts:
                # Enough orders that the pool outlasts the measuring time at a few thousand a second.
                pool = int(min(4000 * seconds * max(1, min(workers, 8)) / 3, 60000))
                prefix = f"{'H' if products == [hot] else 'S'}{workers:02d}-"
                orders = _orders(prefix, products, pool, customer, address, delivery)
                row = _run(label, orders, workers, seconds)
                row["check"] = _check()
                rows.append(row)
                print(
                    f"{row['scenario']:<20} {row['workers']:>3} workers  {row['allocations']:>7} allocations "
                    f"in {row['seconds']:5.2f} s  {row['rate']:8.0f} allocations/s"
                    f"{'  (ran out of orders)' if row['exhausted'] else ''}"
                    f"{'  errors: ' + str(row['errors']) if row['errors'] else ''}  check: {row['check']}",
                    flush=True,
                )
        print()
        print("| scenario | workers | allocations/s |")
        print("|---|---:|---:|")
        for row in rows:
            print(f"| {row['scenario']} | {row['workers']} | {row['rate']:.0f} |")
        print(f"\n(total wall time {time.monotonic() - started:.0f} s, PostgreSQL at 127.0.0.1, database {SCRATCH_DB})")
    finally:
        from django.db import connections

        connections.close_all()
        if not arguments.keep:
            _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
