"""Invoice PDF render time: invoicing/pdf.py `invoice_pdf_render` for invoices of 3 and 40 lines.

    .venv/bin/python bench/invoice_pdf.py [--runs 20] [--lines 3,40] [--no-pgbench]

The invoices are built in a throw-away SQLite database in a temporary folder (migrated, then
deleted), with the rows an issued invoice has: an order with its customer and address, the invoice
and its lines, a tax breakdown. Each size is rendered once to warm up (fonts, stylesheet), then
--runs times; it prints the median and p95 render time, renders per second, the pages and size of
the PDF, and the share of a pgbench run made in the same invocation (bench/_pgbench.py) on the
PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
WeasyPrint needs Pango (`make system-libs`).
"""

# Imports of Django and of the project sit inside the functions that need them: they can run only
# after django.setup() has pointed the settings at this benchmark's scratch database.

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _pgbench import pgbench_run  # noqa: E402  (bench/ is not a package)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def _django_setup(sqlite_path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{sqlite_path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders_site.settings.local"
    os.environ["DEBUG"] = "false"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _invoice(lines: int):
    """An issued invoice of `lines` lines at two tax rates, with its order, as invoice_issue leaves it."""
    from django.utils import timezone

    from invoicing.models import Invoice, InvoiceLine
    from orders.models import Address, Customer, DeliveryMethod, Order

    customer = Customer.objects.create(email=f"buyer{lines}@example.com", full_name="Anna de Vries")
    address = Address.objects.create(
        full_name="Anna de Vries", company="De Vries Interieur B.V.", line1="Keizersgracht 123",
        postal_code="1015 CJ", city="Amsterdam", country="NL",
    )  # fmt: skip
    delivery, _ = DeliveryMethod.objects.get_or_create(code="standard", defaults={"name": "Standard", "fee": 5})
    order = Order.objects.create(
        number=f"{100000 + lines}", customer=customer, email=customer.email, delivery_method=delivery,
        delivery_method_name=delivery.name, billing_address=address, shipping_address=address,
        payment_method="bank_transfer", payment_reference=f"RF{100000 + lines}",
    )  # fmt: skip
    rows, net_by_rate = [], {}
    for i in range(lines):
        rate = Decimal("0.21") if i % 3 else Decimal("0.09")
        quantity, unit_price = 1 + i % 4, Decimal("12.50") + i
        net = quantity * unit_price
        tax = (net * rate).quantize(Decimal("0.01"))
        net_by_rate.setdefault(rate, [Decimal(0), Decimal(0)])
        net_by_rate[rate][0] += net
        net_by_rate[rate][1] += tax
        rows.append(
            dict(
                sku=f"SKU-{i:05d}",
                description=f"Oak side table, natural finish, model {i}",
                quantity=quantity,
                unit_price=unit_price,
                tax_rate=rate,
                net_amount=net,
                tax_amount=tax,
                line_total=net + tax,
            )  # fmt: skip
        )
    subtotal = sum((r["net_amount"] for r in rows), Decimal(0))
    tax_total = sum((r["tax_amount"] for r in rows), Decimal(0))
    now = timezone.now()
    invoice = Invoice.objects.create(
        order=order,
        number=f"INV-{now.year}-{lines:06d}",
        issued_at=now,
        due_date=(now + timezone.timedelta(days=14)).date(),
        currency="EUR",
        billing_name=address.company,
        billing_address="\n".join(address.as_lines()),
        subtotal=subtotal,
        discount_total=Decimal(0),
        shipping_total=Decimal("4.95"),
        tax_total=tax_total,
        total=subtotal + tax_total + Decimal("4.95"),
        tax_breakdown=[
            {"rate": str(rate), "percent": str(rate * 100), "net": str(net), "tax": str(tax)}
            for rate, (net, tax) in sorted(net_by_rate.items())
        ],
    )
    InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, **row) for row in rows])
    invoice.refresh_from_db()
    return invoice


def _pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf)).pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed renders per size (default 20)")
    parser.add_argument("--lines", default="3,40", help="invoice sizes in lines (default 3,40)")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    arguments = parser.parse_args()
    sizes = [max(1, min(int(n), 500)) for n in arguments.lines.split(",")]
    runs = max(1, min(arguments.runs, 500))
    started = time.monotonic()

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    with tempfile.TemporaryDirectory(prefix="bench-invoice-pdf-") as folder:
        _django_setup(Path(folder) / "bench.sqlite3")
        from django.core.management import call_command

        from invoicing.pdf import invoice_pdf_render
        from orders_site.core.formatting import count_display

        call_command("migrate", verbosity=0, skip_checks=True)
        invoices = {size: _invoice(size) for size in sizes}

        yardstick = pgbench_run(server_url, skip=arguments.no_pgbench)
        print(yardstick.describe(), flush=True)

        results = []
        for size, invoice in invoices.items():
            lines, order = list(invoice.lines.all()), invoice.order
            pdf = invoice_pdf_render(invoice=invoice, lines=lines, order=order)  # warm-up
            times = []
            for _ in range(runs):
                begun = time.perf_counter()
                pdf = invoice_pdf_render(invoice=invoice, lines=lines, order=order)
                times.append((time.perf_counter() - begun) * 1000)
            times.sort()
            median = statistics.median(times)
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            results.append((size, median, p95, _pages(pdf), len(pdf)))
            print(
                f"{size:>3} lines: median {median:6.1f} ms, p95 {p95:6.1f} ms, {1000 / median:5.1f} PDFs/s "
                f"({yardstick.share(1000 / median)}), {count_display(_pages(pdf), 'page')}, {len(pdf) / 1024:.0f} KiB",
                flush=True,
            )

    print()
    print(f"Invoice PDF (WeasyPrint, invoicing/pdf.py), median of {runs} renders after one warm-up")
    print(yardstick.describe())
    print()
    print("| lines | median ms | p95 ms | PDFs/s | pages | size | share |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for size, median, p95, pages, length in results:
        print(
            f"| {size} | {median:.0f} | {p95:.0f} | {1000 / median:.1f} | {pages} | {length / 1024:.0f} KiB "
            f"| {yardstick.share(1000 / median)} |"
        )
    print(f"\n(total wall time {time.monotonic() - started:.0f} s; one process, renders one after another)")


if __name__ == "__main__":
    main()
