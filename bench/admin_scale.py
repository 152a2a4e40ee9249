"""The staff console at a million orders: each changelist request's median time and query count.

    .venv/bin/python bench/admin_scale.py [--orders 1000000] [--runs 5] [--explain] [--keep] [--reuse]

It creates a scratch database (`orders_bench_admin`) on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, and fills it with bulk SQL
(INSERT ... SELECT ... FROM generate_series): for 1,000,000 orders, 200,000 customers, about 900,000
shipments, invoices and payments, an outbox e-mail per order, an event per order and per shipment,
two verification checks per order, 1,000,000 stock movements and feedback from completed orders.
Then VACUUM ANALYZE, as autovacuum would have done on a live database, and a pgbench run (the
yardstick, see bench/_pgbench.py).

Each request goes through Django's test Client, logged in as a superuser, with DEBUG off: one
warm-up, then --runs timed runs (the median is printed), then one more run that counts the SQL
statements. --explain prints EXPLAIN (ANALYZE, BUFFERS) of each request's slowest statement.
Only 127.0.0.1 is contacted. The database is dropped afterwards unless --keep; --reuse measures a
database kept by an earlier run without filling it again.
"""

# Imports of Django and of the project sit inside the functions that need them: they can run only
# after django.setup() has pointed the settings at this benchmark's scratch database.

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from _pgbench import pgbench_run  # noqa: E402  (bench/ is not a package)

SCRATCH_DB = "orders_bench_admin"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SPAN_SECONDS = 3 * 365 * 24 * 3600  # the orders were placed over three years, the newest just now
BUDGET_MS = 300

FIRST_NAMES = (
    "anna emma sophie julia lisa eva sara noa lotte fleur tess mila zoe nina iris "
    "daan sem lucas finn levi milan bram jesse thomas ruben lars max tim sven luuk "
    "jan piet kees wim henk joris maarten koen bas niels"
).split()
LAST_NAMES = (
    "jansen devries bakker visser smit meijer dejong mulder degroot bos vos peters hendriks vandijk "
    "dekker brouwer dewit dijkstra smits kok jacobs vermeulen vandenberg schouten willems hoekstra "
    "koster prins huisman peeters kuipers vanleeuwen postma verhoeven maas kramer wouters vandam "
    "dijkman evers schipper vanbeek timmermans groen lammers boer veenstra kuiper hermans blom "
    "molenaar sanders gerritsen vandervelde bosman vos koning wijnands"
).split()


def _scratch_url(server_url: str) -> str:
    parsed = urlparse(server_url)
    if parsed.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must be a PostgreSQL URL: this benchmark measures the console on PostgreSQL.")
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        sys.exit(f"This benchmark only talks to 127.0.0.1 (DATABASE_URL points at {parsed.hostname!r}).")
    return urlunparse(parsed._replace(netloc=parsed.netloc.replace("localhost", "127.0.0.1"), path=f"/{SCRATCH_DB}"))


def _server_connect(server_url: str, dbname: str | None = None):
    import psycopg

    parsed = urlparse(server_url)
    return psycopg.connect(
        host="127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        dbname=dbname or (parsed.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    )


def _server_admin(server_url: str, sql: str) -> None:
    with _server_connect(server_url) as connection:
        connection.execute(sql)


def _scratch_exists(server_url: str) -> bool:
    with _server_connect(server_url) as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [SCRATCH_DB]).fetchone() is not None


def _django_setup(scratch_url: str) -> None:
    os.environ["DATABASE_URL"] = scratch_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "orders_site.settings.local"
    os.environ["DEBUG"] = "false"  # no query log kept in memory, templates as in production
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _sql_array(words: list[str]) -> str:
    """A literal text[] of plain lower-case words (ours, above: nothing to escape)."""
    assert all(word.isalpha() and word.islower() for word in words)
    return "ARRAY[" + ", ".join(f"'{word}'" for word in words) + "]"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- the rows, in bulk SQL ------------------------------------------------------------------------------


def _column_defaults(cursor) -> None:
    """Give every column its model's default in the scratch database, so the INSERTs below name only
    the columns they fill: a column a later migration adds (Django keeps defaults in Python, not in
    the table) gets its default instead of breaking the fill with a NULL."""
    from django.apps import apps
    from django.db import connection

    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if field.primary_key or field.null:
                continue
            # What Django's own AddField puts in existing rows: the default, '' for a blank text field.
            value = connection.schema_editor().effective_default(field)
            if value is None:
                continue
            cursor.execute(
                f'ALTER TABLE "{model._meta.db_table}" ALTER COLUMN "{field.column}" SET DEFAULT %s', [value]
            )


def _fill(orders: int) -> dict[str, int]:
    """Every table the console lists, filled with INSERT ... SELECT; returns rows per table."""
    from django.db import connection

    customers = max(orders // 5, 10)
    movements = orders
    deliveries = orders  # webhook deliveries: about one per order over the three years
    # Random, but the same every run.
    statements = [
        ("seed", "SELECT setseed(0.2026)"),
        (
            "tax, warehouses, delivery",
            """
            INSERT INTO inventory_taxclass (id, name, rate) VALUES (1, 'Standard', 0.21);
            INSERT INTO inventory_warehouse (id, code, name, address, priority, is_active)
            VALUES (1, 'AMS', 'Amsterdam', '', 1, true), (2, 'RTM', 'Rotterdam', '', 2, true);
            INSERT INTO orders_deliverymethod (id, code, name, fee, tax_rate, min_days, max_days, is_pickup,
                                               is_active, sort_order)
            VALUES (1, 'standard', 'Standard', 4.95, 0.21, 1, 3, false, true, 1),
                   (2, 'pickup', 'Pick up', 0, 0, 0, 1, true, true, 2);
            """,
        ),
        (
            "products and stock levels",
            """
            INSERT INTO inventory_product (id, created_at, updated_at, sku, barcode, name, slug, description, kind,
                                           price, weight_grams, is_active, is_backorderable, restock_lead_days,
                                           tax_class_id)
            SELECT g, now(), now(), 'SKU-' || lpad(g::text, 5, '0'), '', 'Product ' || g, 'product-' || g, '',
                   'physical', 9.95 + g % 90, 500, true, g % 10 = 0, 14, 1
            FROM generate_series(1, 1000) g;
            INSERT INTO inventory_stocklevel (id, on_hand, allocated, reorder_point, reorder_quantity, safety_stock,
                                              product_id, warehouse_id)
            SELECT (p - 1) * 2 + w, 1000000, 1000, 10, 100, 0, p, w
            FROM generate_series(1, 1000) p, generate_series(1, 2) w;
            """,
        ),
        (
            "customers and their addresses",
            f"""
            INSERT INTO orders_customer (id, created_at, updated_at, email, full_name, phone, company, payment_terms,
                                         net_days)
            SELECT g, t, t,
                   CASE WHEN g % 10 = 0 THEN initcap(f) ELSE f END || '.' || l || g || '@'
                       || (ARRAY['example.com', 'example.nl', 'mail.example', 'post.example'])[1 + g % 4],
                   initcap(f) || ' ' || initcap(l), '+31 6 ' || lpad((g % 100000000)::text, 8, '0'),
                   CASE WHEN g % 7 = 0 THEN initcap(l) || ' B.V.' ELSE '' END,
                   CASE WHEN g % 50 = 0 THEN 'net' ELSE 'prepaid' END, CASE WHEN g % 50 = 0 THEN 30 ELSE 0 END
            FROM generate_series(1, {customers}) g,
                 LATERAL (SELECT ({_sql_array(FIRST_NAMES)})[1 + (g * 31) % {len(FIRST_NAMES)}] AS f,
                                 ({_sql_array(LAST_NAMES)})[1 + (g * 17) % {len(LAST_NAMES)}] AS l,
                                 now() - make_interval(secs => ({customers} - g)::float8 * {SPAN_SECONDS}
                                                               / {customers}) AS t) n;
            INSERT INTO orders_address (id, full_name, company, line1, line2, postal_code, city, region, country,
                                        phone, customer_id)
            SELECT id, full_name, company, 'Keizersgracht ' || (id % 800 + 1), '', '1015 CJ', 'Amsterdam', '', 'NL',
                   phone, id
            FROM orders_customer;
            """,
        ),
        (
            "orders",
            f"""
            WITH s AS (
                SELECT g, random() AS r_channel, random() AS r_status, random() AS r_pay,
                       1 + (g::bigint * 7919) % {customers} AS customer_id,
                       round((10 + random() * 490)::numeric, 2) AS subtotal,
                       now() - make_interval(secs => ({orders} - g)::float8 * {SPAN_SECONDS} / {orders}
                                                     + random() * 60) AS placed
                FROM generate_series(1, {orders}) g
            ), t AS (
                SELECT s.*,
                       CASE WHEN s.g <= {orders} * 0.98 THEN
                           CASE WHEN r_status < 0.80 THEN 'completed' WHEN r_status < 0.88 THEN 'cancelled'
                                WHEN r_status < 0.92 THEN 'paid' WHEN r_status < 0.95 THEN 'invoiced'
                                WHEN r_status < 0.97 THEN 'delivered' ELSE 'shipped' END
                       ELSE
                           CASE WHEN r_status < 0.005 THEN 'draft' WHEN r_status < 0.10 THEN 'placed'
                                WHEN r_status < 0.25 THEN 'on_hold' WHEN r_status < 0.35 THEN 'backordered'
                                WHEN r_status < 0.55 THEN 'verified' WHEN r_status < 0.75 THEN 'in_fulfillment'
                                WHEN r_status < 0.80 THEN 'partially_shipped' WHEN r_status < 0.95 THEN 'shipped'
                                ELSE 'delivered' END
                       END AS status
                FROM s
            )
            INSERT INTO orders_order (id, created_at, updated_at, number, email, channel, status,
                                      delivery_method_name, delivery_instructions, payment_method, payment_reference,
                                      discount_code, currency, subtotal, discount_total, shipping_total,
                                      shipping_tax_rate, tax_total, total, placed_at, billing_address_id,
                                      customer_id, delivery_method_id, shipping_address_id, payment_standing)
            SELECT t.g, t.placed, t.placed, CASE WHEN t.status = 'draft' THEN 'new-' || md5(t.g::text)::varchar(16)
                                               ELSE (100000 + t.g)::text END,
                   c.email,
                   CASE WHEN r_channel < 0.80 THEN 'web' WHEN r_channel < 0.88 THEN 'phone'
                        WHEN r_channel < 0.93 THEN 'email' WHEN r_channel < 0.97 THEN 'api'
                        WHEN r_channel < 0.99 THEN 'in_person' ELSE 'import' END,
                   t.status, 'Standard', '',
                   CASE WHEN r_pay < 0.60 THEN 'card' WHEN r_pay < 0.85 THEN 'bank_transfer'
                        WHEN r_pay < 0.93 THEN 'cash_on_delivery' WHEN r_pay < 0.97 THEN 'in_person_card'
                        WHEN r_pay < 0.99 THEN 'in_person_cash' ELSE 'store_credit' END,
                   'RF' || (100000 + t.g), '', 'EUR', t.subtotal, 0, 4.95, 0.21, round(t.subtotal * 0.21 + 1.04, 2),
                   round(t.subtotal * 1.21 + 5.99, 2), CASE WHEN t.status = 'draft' THEN NULL ELSE t.placed END,
                   c.id, c.id, 1, c.id,
                   CASE WHEN t.status IN ('paid', 'completed') THEN
                            CASE WHEN t.g % 40 = 0 THEN 'partially_refunded' WHEN t.g % 250 = 0 THEN 'refunded'
                                 ELSE 'paid' END
                        WHEN t.status = 'invoiced' THEN
                            CASE WHEN t.g % 10 = 0 THEN 'partially_paid' WHEN t.g % 3 = 0 THEN 'overdue'
                                 ELSE 'unpaid' END
                        WHEN t.status = 'cancelled' AND r_pay < 0.60 AND t.g % 4 = 0 THEN 'refunded'
                        WHEN t.status NOT IN ('cancelled', 'draft') AND r_pay < 0.60 THEN 'authorised'
                        ELSE 'unpaid' END
            FROM t JOIN orders_customer c ON c.id = t.customer_id;
            """,
        ),
        (
            "verification checks",
            """
            INSERT INTO orders_ordercheck (name, result, detail, created_at, order_id)
            SELECT n.name,
                   CASE WHEN (o.status = 'on_hold'
                              AND n.name = (ARRAY['customer', 'address', 'stock', 'risk'])[1 + o.id % 4])
                             OR (n.name = 'risk' AND o.id % 50 = 0) THEN 'failed' ELSE 'passed' END,
                   '', o.placed_at, o.id
            FROM orders_order o,
                 LATERAL (SELECT unnest(CASE WHEN o.status = 'on_hold' AND o.id % 4 < 2
                                             THEN ARRAY['stock', 'risk', (ARRAY['customer', 'address'])[1 + o.id % 4]]
                                             ELSE ARRAY['stock', 'risk'] END) AS name) n
            WHERE o.status <> 'draft';
            """,
        ),
        (
            "shipments",
            """
            INSERT INTO orders_shipment (created_at, updated_at, number, status, carrier, service, tracking_number,
                                         tracking_url, dispatched_at, delivered_at, order_id, warehouse_id,
                                         dispatch_by, dispatched_late)
            SELECT o.placed_at + interval '1 hour', o.placed_at + interval '1 day', o.number || '-1', s.status,
                   CASE WHEN s.status IN ('pending', 'picking', 'packed') THEN ''
                        WHEN o.id % 200 = 0 THEN 'GLS'
                        ELSE (ARRAY['PostNL', 'DHL', 'DPD', 'UPS'])[1 + o.id % 4] END,
                   '', CASE WHEN s.status IN ('pending', 'picking', 'packed') THEN ''
                            ELSE '3S' || lpad(o.id::text, 12, '0') END,
                   '', CASE WHEN s.status IN ('pending', 'picking', 'packed') THEN NULL
                            WHEN o.id % 20 = 0 THEN o.placed_at + interval '3 days'
                            ELSE o.placed_at + interval '1 day' END,
                   CASE WHEN s.status = 'delivered' THEN o.placed_at + interval '3 days' END,
                   o.id, 1 + o.id % 2, (o.placed_at + interval '1 day')::date,
                   CASE WHEN s.status IN ('pending', 'picking', 'packed') THEN NULL ELSE o.id % 20 = 0 END
            FROM orders_order o,
                 LATERAL (SELECT CASE o.status
                     WHEN 'in_fulfillment' THEN (ARRAY['pending', 'picking', 'packed'])[1 + o.id % 3]
                     WHEN 'partially_shipped' THEN 'shipped'
                     WHEN 'shipped' THEN (ARRAY['shipped', 'in_transit'])[1 + o.id % 2]
                     ELSE 'delivered' END AS status) s
            WHERE o.status IN ('in_fulfillment', 'partially_shipped', 'shipped', 'delivered', 'invoiced', 'paid',
                               'completed')
            ORDER BY o.id;
            """,
        ),
        (
            "invoices",
            """
            INSERT INTO invoicing_invoice (created_at, updated_at, number, status, issued_at, due_date, currency,
                                           billing_name, billing_address, subtotal, discount_total, shipping_total,
                                           tax_total, total, amount_paid, tax_breakdown, pdf, order_id)
            SELECT i.issued, i.issued,
                   'INV-' || extract(year FROM i.issued)::int || '-' || lpad(
                       row_number() OVER (PARTITION BY extract(year FROM i.issued) ORDER BY i.id)::text, 6, '0'),
                   i.status, i.issued, (i.issued + interval '14 days')::date, 'EUR',
                   CASE WHEN c.company <> '' THEN c.company ELSE c.full_name END, 'Keizersgracht 1, Amsterdam',
                   i.subtotal, 0, 4.95, i.tax_total, i.total,
                   CASE i.status WHEN 'paid' THEN i.total WHEN 'partially_paid' THEN round(i.total / 2, 2) ELSE 0 END,
                   '[]', '', i.id
            FROM (SELECT o.id, o.subtotal, o.tax_total, o.total, o.customer_id,
                         LEAST(o.placed_at + interval '4 days', now()) AS issued,
                         CASE WHEN o.status <> 'invoiced' THEN 'paid'
                              WHEN o.id % 10 = 0 THEN 'partially_paid' ELSE 'issued' END AS status
                  FROM orders_order o WHERE o.status IN ('invoiced', 'paid', 'completed')) i
            JOIN orders_customer c ON c.id = i.customer_id
            ORDER BY i.id;
            """,
        ),
        (
            "payments",
            """
            INSERT INTO invoicing_payment (created_at, updated_at, method, amount, status, gateway_reference,
                                           reference, captured_at, invoice_id, order_id)
            SELECT v.issued_at + interval '2 days', v.issued_at + interval '2 days', o.payment_method,
                   v.amount_paid, 'captured',
                   CASE WHEN o.payment_method = 'card' THEN 'ch_' || substr(md5(v.id::text), 1, 24) ELSE '' END,
                   CASE WHEN o.payment_method = 'bank_transfer' THEN 'RF' || o.number ELSE '' END,
                   v.issued_at + interval '2 days', v.id, o.id
            FROM invoicing_invoice v JOIN orders_order o ON o.id = v.order_id
            WHERE v.amount_paid > 0
            ORDER BY v.id;
            """,
        ),
        (
            "credit notes, amounts owed back and refunds",
            """
            INSERT INTO invoicing_creditnote (created_at, updated_at, number, issued_at, reason, currency, net_total,
                                              tax_total, total, tax_breakdown, pdf, invoice_id, order_id)
            SELECT c.issued, c.issued,
                   'CN-' || extract(year FROM c.issued)::int || '-' || lpad(
                       row_number() OVER (PARTITION BY extract(year FROM c.issued) ORDER BY c.id)::text, 6, '0'),
                   c.issued, (ARRAY['Returned: arrived damaged', 'Price corrected', 'Parcel came back'])[1 + c.id % 3],
                   'EUR', round(c.amount / 1.21, 2), c.amount - round(c.amount / 1.21, 2), c.amount, '[]', '',
                   c.id, c.order_id
            FROM (SELECT v.id, v.order_id, LEAST(v.issued_at + interval '12 days', now()) AS issued,
                         round(v.total / 3, 2) AS amount
                  FROM invoicing_invoice v WHERE v.order_id % 40 = 0 OR v.order_id % 250 = 0) c
            ORDER BY c.id;
            INSERT INTO invoicing_amountowedback (order_id, amount, reason, credit_note_id, created_at, settled_at)
            SELECT n.order_id, n.total, 'Credit note ' || n.number, n.id, n.issued_at,
                   CASE WHEN n.id % 50 <> 0 THEN n.issued_at + interval '1 day' END
            FROM invoicing_creditnote n JOIN invoicing_invoice v ON v.id = n.invoice_id
            WHERE v.status = 'paid' ORDER BY n.id;
            INSERT INTO invoicing_refund (created_at, updated_at, method, amount, status, reason, idempotency_key,
                                          gateway_reference, iban, account_holder, transfer_reference,
                                          failure_message, succeeded_at, amount_owed_back_id, order_id, payment_id)
            SELECT w.created_at, w.created_at, r.method, w.amount, r.status, w.reason, 'refund-' || md5(w.id::text),
                   CASE WHEN r.method = 'card' AND r.status = 'succeeded' THEN 're_' || substr(md5(w.id::text), 1, 24)
                        ELSE '' END,
                   CASE WHEN r.method = 'bank_transfer' THEN 'NL91ABNA0417164300' ELSE '' END,
                   CASE WHEN r.method = 'bank_transfer' THEN 'A. Customer' ELSE '' END, '',
                   CASE WHEN r.status = 'failed' THEN 'Card declined the refund' ELSE '' END,
                   CASE WHEN r.status = 'succeeded' THEN w.created_at + interval '1 minute' END,
                   w.id, w.order_id, p.id
            FROM invoicing_amountowedback w
            JOIN invoicing_payment p ON p.order_id = w.order_id,
                 LATERAL (SELECT CASE WHEN p.method = 'card' THEN 'card' WHEN p.method = 'store_credit'
                                      THEN 'store_credit' ELSE 'bank_transfer' END AS method,
                                 CASE WHEN w.settled_at IS NOT NULL THEN 'succeeded'
                                      WHEN p.method = 'card' THEN 'failed' ELSE 'pending' END AS status) r
            ORDER BY w.id;
            UPDATE invoicing_payment p SET amount_refunded = r.amount
            FROM invoicing_refund r WHERE r.payment_id = p.id;
            """,
        ),
        (
            "returns",
            """
            INSERT INTO orders_returnrequest (created_at, updated_at, number, status, reason, comment, refund_to,
                                              iban, account_holder, refusal_reason, credit_note_number, order_id,
                                              warehouse_id, authorised_at, received_at, closed_at)
            SELECT r.created, r.created, 'RMA-' || o.number, r.status,
                   (ARRAY['damaged', 'defective', 'wrong_item', 'not_as_described', 'no_longer_needed',
                          'other'])[1 + o.id % 6],
                   '', CASE WHEN o.id % 5 = 0 THEN 'store_credit' ELSE 'original' END, '', '',
                   CASE WHEN r.status = 'refused' THEN 'Past the return window' ELSE '' END, '', o.id,
                   CASE WHEN r.status IN ('received', 'closed') THEN 1 + o.id % 2 END,
                   CASE WHEN r.status NOT IN ('requested', 'refused') THEN r.created + interval '1 day' END,
                   CASE WHEN r.status IN ('received', 'closed') THEN r.created + interval '5 days' END,
                   CASE WHEN r.status = 'closed' THEN r.created + interval '6 days' END
            FROM orders_order o,
                 LATERAL (SELECT LEAST(o.placed_at + interval '8 days', now()) AS created,
                                 CASE WHEN o.id > (SELECT max(id) FROM orders_order) * 0.95 THEN
                                          (ARRAY['requested', 'authorised', 'received'])[1 + o.id % 3]
                                      WHEN o.id % 20 = 0 THEN 'refused' ELSE 'closed' END AS status) r
            WHERE o.status IN ('completed', 'paid') AND o.id % 25 = 0
            ORDER BY o.id;
            """,
        ),
        (
            "store credit",
            """
            INSERT INTO invoicing_storecreditaccount (customer_id, currency, balance, updated_at)
            SELECT c.id, 'EUR', 5 * (1 + c.id % 20), c.created_at FROM orders_customer c WHERE c.id % 10 = 0
            ORDER BY c.id;
            INSERT INTO invoicing_storecreditentry (account_id, kind, amount, balance_after, reason, order_id,
                                                    created_at)
            SELECT a.id, e.kind, CASE WHEN e.kind IN ('spent', 'expired') THEN -5 ELSE 5 END, a.balance,
                   CASE e.kind WHEN 'issued' THEN 'Goodwill: late delivery' WHEN 'refund' THEN 'Return refunded'
                               WHEN 'spent' THEN 'Paid an order' WHEN 'returned' THEN 'Order cancelled'
                               ELSE 'Expired' END,
                   CASE WHEN e.kind IN ('spent', 'returned') THEN 1 + (a.customer_id::bigint * 7) % 1000 END,
                   a.updated_at + make_interval(days => e.n)
            FROM invoicing_storecreditaccount a,
                 LATERAL (SELECT n, (ARRAY['issued', 'refund', 'spent', 'spent', 'returned', 'expired',
                                           'issued', 'spent', 'refund', 'spent'])[n] AS kind
                          FROM generate_series(1, 10) n) e
            ORDER BY 7;
            """,
        ),
        (
            "outbox e-mails",
            """
            INSERT INTO orders_emailnotification (kind, subject_key, recipient, status, attempts, last_error,
                                                  created_at, sent_at, claimed_at, message_id, order_id)
            SELECT k.kind, 'order', o.email, k.status, CASE WHEN k.status = 'pending' THEN 0 ELSE 1 END,
                   CASE WHEN k.status = 'failed' THEN 'SMTP 451: try again later' ELSE '' END,
                   o.placed_at + interval '1 minute',
                   CASE WHEN k.status = 'sent' THEN o.placed_at + interval '2 minutes' END,
                   CASE WHEN k.status <> 'pending' THEN o.placed_at + interval '2 minutes' END,
                   CASE WHEN k.status <> 'pending' THEN '<' || o.id || '.' || k.kind || '@orders.example>' ELSE '' END,
                   o.id
            FROM orders_order o,
                 LATERAL (SELECT CASE WHEN r < 0.40 THEN 'order_received' WHEN r < 0.65 THEN 'order_shipped'
                                      WHEN r < 0.85 THEN 'invoice' WHEN r < 0.95 THEN 'payment_confirmation'
                                      WHEN r < 0.98 THEN 'feedback_request' WHEN r < 0.995 THEN 'order_cancelled'
                                      WHEN r < 0.999 THEN 'order_backordered' ELSE 'backorder_ready' END AS kind,
                                 CASE WHEN o.id % 100 = 0 THEN 'failed' WHEN o.id % 100 < 3 THEN 'pending'
                                      ELSE 'sent' END AS status
                          FROM (SELECT random() + 0 * o.id AS r) rr) k
            WHERE o.status <> 'draft'
            ORDER BY o.id;
            """,
        ),
        (
            "events",
            """
            INSERT INTO orders_orderevent (object_type, object_id, kind, from_state, to_state, actor_label, note, data,
                                           customer_visible, created_at, order_id)
            SELECT 'order', o.id, e.kind, e.from_state, e.to_state, 'system', e.note, e.data, false,
                   o.placed_at + e.after, o.id
            FROM orders_order o,
                 LATERAL (SELECT o.status NOT IN ('placed', 'on_hold', 'backordered') AS verified,
                                 o.status IN ('in_fulfillment', 'partially_shipped', 'shipped', 'delivered',
                                              'invoiced', 'paid', 'completed') AS fulfilling,
                                 o.status IN ('shipped', 'delivered', 'invoiced', 'paid', 'completed') AS shipped,
                                 o.status IN ('delivered', 'invoiced', 'paid', 'completed') AS delivered,
                                 o.status IN ('invoiced', 'paid', 'completed') AS invoiced,
                                 o.status = 'on_hold' OR o.id % 33 = 0 AS held,
                                 o.status = 'backordered' OR (o.id % 25 = 0 AND o.id % 33 <> 0) AS backordered,
                                 CASE WHEN o.id % 20 = 0 THEN interval '3 days' ELSE interval '1 day' END AS ship_after,
                                 make_interval(days => (2 + o.id % 5)::int,
                                               hours => (o.id % 24)::int) AS deliver_after) f,
                 LATERAL (VALUES
                     ('order.place', 'draft', 'placed', interval '0', '', '{}'::jsonb, true),
                     ('order.hold', 'placed', 'on_hold', interval '1 minute', '',
                      jsonb_build_object('checks', jsonb_build_array(jsonb_build_object(
                          'name', (ARRAY['customer', 'address', 'stock', 'risk'])[1 + o.id % 4],
                          'result', 'failed', 'detail', ''))), f.held),
                     ('order.backorder', 'placed', 'backordered', interval '2 minutes', '', '{}'::jsonb,
                      f.backordered),
                     ('order.verify', CASE WHEN f.held THEN 'on_hold' WHEN f.backordered THEN 'backordered'
                                           ELSE 'placed' END, 'verified',
                      CASE WHEN f.held OR f.backordered THEN interval '4 hours' ELSE interval '2 minutes' END, '',
                      '{}'::jsonb, f.verified),
                     ('order.start_fulfillment', 'verified', 'in_fulfillment', interval '5 hours', '', '{}'::jsonb,
                      f.fulfilling),
                     ('order.ship', 'in_fulfillment', 'shipped', f.ship_after, '', '{}'::jsonb, f.shipped),
                     ('order.deliver', 'shipped', 'delivered', f.ship_after + f.deliver_after, '', '{}'::jsonb,
                      f.delivered),
                     ('order.invoice', 'delivered', 'invoiced', f.ship_after + f.deliver_after, '', '{}'::jsonb,
                      f.invoiced),
                     ('order.cancel', 'verified', 'cancelled', interval '1 hour',
                      (ARRAY['Customer changed their mind', 'Ordered twice', 'Found it cheaper', ''])[1 + o.id % 4],
                      '{}'::jsonb, o.status = 'cancelled')
                 ) e(kind, from_state, to_state, after, note, data, applies)
            WHERE o.status <> 'draft' AND e.applies
            UNION ALL
            SELECT 'shipment', s.id, 'shipment.dispatch', 'packed', 'shipped', 'warehouse', '', '{}'::jsonb, true,
                   s.dispatched_at, s.order_id
            FROM orders_shipment s WHERE s.dispatched_at IS NOT NULL
            ORDER BY 10;
            """,
        ),
        (
            "stock movements",
            f"""
            INSERT INTO inventory_stockmovement (kind, on_hand_delta, allocated_delta, reason, reference, created_at,
                                                 stock_level_id)
            SELECT m.kind,
                   CASE m.kind WHEN 'allocation' THEN 0 WHEN 'release' THEN 0 WHEN 'dispatch' THEN -m.q
                               WHEN 'receipt' THEN m.q * 50 WHEN 'return' THEN m.q WHEN 'write_off' THEN -m.q
                               ELSE CASE WHEN m.g % 2 = 0 THEN m.q ELSE -m.q END END,
                   CASE m.kind WHEN 'allocation' THEN m.q WHEN 'release' THEN -m.q WHEN 'dispatch' THEN -m.q
                               ELSE 0 END,
                   CASE m.kind WHEN 'adjustment' THEN 'Stock count' WHEN 'write_off' THEN 'Damaged in the warehouse'
                               ELSE '' END,
                   CASE WHEN m.kind IN ('allocation', 'release', 'dispatch', 'return')
                             THEN (100000 + 1 + (m.g::bigint * 104729) % {orders})::text
                        WHEN m.kind = 'receipt' THEN 'PO-' || lpad((m.g % 100000)::text, 6, '0')
                        ELSE '' END,
                   m.t, 1 + (m.g::bigint * 7907) % 2000
            FROM (SELECT g, 1 + (g % 5) AS q,
                         now() - make_interval(secs => ({movements} - g)::float8 * {SPAN_SECONDS} / {movements}
                                                       + random() * 30) AS t,
                         CASE WHEN r < 0.45 THEN 'allocation' WHEN r < 0.75 THEN 'dispatch'
                              WHEN r < 0.80 THEN 'release' WHEN r < 0.92 THEN 'receipt' WHEN r < 0.95 THEN 'return'
                              WHEN r < 0.98 THEN 'adjustment' ELSE 'write_off' END AS kind
                  FROM (SELECT g, random() AS r FROM generate_series(1, {movements}) g) r0) m
            ORDER BY m.g;
            """,
        ),
        (
            "feedback",
            """
            INSERT INTO feedback_feedbackrequest (created_at, responded_at, order_id)
            SELECT o.placed_at + interval '10 days', CASE WHEN o.id % 10 = 0 THEN o.placed_at + interval '11 days' END,
                   o.id
            FROM orders_order o WHERE o.status = 'completed' AND o.id % 2 = 0 ORDER BY o.id;
            INSERT INTO feedback_feedback (overall_rating, comment, needs_follow_up, followed_up_at, created_at,
                                           request_id)
            SELECT 1 + r.id % 5,
                   (ARRAY['Quick delivery, thank you', 'The box was damaged', 'Slow, but it arrived',
                          'Exactly what I ordered', 'Wrong colour delivered'])[1 + r.id % 5],
                   r.id % 5 < 2, CASE WHEN r.id % 5 < 2 AND r.id % 3 = 0 THEN r.responded_at + interval '1 day' END,
                   r.responded_at, r.id
            FROM feedback_feedbackrequest r WHERE r.responded_at IS NOT NULL ORDER BY r.id;
            """,
        ),
        (
            "webhook deliveries",
            f"""
            INSERT INTO webhooks_webhooksubscription (id, name, url, secret, event_types, is_active,
                                                      failures_in_a_row, disabled_reason, created_at)
            VALUES (1, 'ERP', 'https://erp.example.com/hooks', 'whsec_bench1', '[]', true, 0, '', now()),
                   (2, 'CRM', 'https://crm.example.com/hooks', 'whsec_bench2', '[]', true, 0, '', now()),
                   (3, 'Old warehouse system', 'https://wms.example.com/in', 'whsec_bench3', '[]', false, 0,
                    'Failed for 72 hours', now());
            INSERT INTO webhooks_webhookdelivery (subscription_id, event_id, event_type, body, status, attempts,
                                                  next_attempt_at, retry_until, created_at, succeeded_at,
                                                  last_status_code, last_duration_ms, last_response, last_error)
            SELECT 1 + g % 3, 'evt_' || md5(g::text), d.kind, '{{"type": "' || d.kind || '"}}', d.status,
                   CASE d.status WHEN 'succeeded' THEN 1 ELSE 6 END,
                   CASE d.status WHEN 'pending' THEN d.t + interval '5 minutes' END, d.t + interval '3 days', d.t,
                   CASE d.status WHEN 'succeeded' THEN d.t END, CASE d.status WHEN 'succeeded' THEN 200 ELSE 503 END,
                   40 + g % 200, '', CASE d.status WHEN 'succeeded' THEN '' ELSE 'HTTP 503' END
            FROM (SELECT g,
                         now() - make_interval(secs => ({deliveries} - g)::float8 * {SPAN_SECONDS} / {deliveries}) AS t,
                         (ARRAY['order.placed', 'order.verified', 'shipment.dispatched', 'shipment.delivered',
                                'invoice.issued', 'payment.received', 'order.placed', 'order.verified',
                                'order.cancelled', 'order.on_hold', 'refund.succeeded', 'return.received',
                                'stock.low'])[1 + (g::bigint * 7919) % 13] AS kind,
                         CASE WHEN g % 100 = 0 THEN 'failed' WHEN g > {deliveries} - 200 THEN 'pending'
                              ELSE 'succeeded' END AS status
                  FROM generate_series(1, {deliveries}) g) d ORDER BY g;
            """,
        ),
        (
            "order imports and their references",
            """
            INSERT INTO orders_orderimport (source, file_name, file, status, rows_total, orders_total, orders_done,
                                            orders_skipped, problems, placed_via, created_at, touched_at,
                                            finished_at)
            SELECT 'marketplace', 'orders-' || g || '.csv', 'imports/2026/12/orders-' || g || '.csv', 'done', 60,
                   50, 50, 0, '[]', 'Bench', d.t, d.t, d.t
            FROM (SELECT g, now() - make_interval(days => 400 - g) AS t FROM generate_series(1, 200) g) d;
            INSERT INTO orders_externalorderreference (source, reference, order_id, order_import_id)
            SELECT 'marketplace', 'MP-' || o.id, o.id, (SELECT min(id) FROM orders_orderimport) + o.id % 200
            FROM orders_order o WHERE o.channel = 'import' ORDER BY o.id;
            """,
        ),
        (
            "identity counters",
            """
            SELECT setval(pg_get_serial_sequence('orders_order', 'id'), (SELECT max(id) FROM orders_order));
            SELECT setval(pg_get_serial_sequence('orders_customer', 'id'), (SELECT max(id) FROM orders_customer));
            SELECT setval(pg_get_serial_sequence('orders_address', 'id'), (SELECT max(id) FROM orders_address));
            SELECT setval(pg_get_serial_sequence('inventory_product', 'id'), 1000);
            SELECT setval(pg_get_serial_sequence('inventory_stocklevel', 'id'), 2000);
            SELECT setval(pg_get_serial_sequence('inventory_warehouse', 'id'), 2);
            SELECT setval(pg_get_serial_sequence('inventory_taxclass', 'id'), 1);
            SELECT setval(pg_get_serial_sequence('orders_deliverymethod', 'id'), 2);
            """,
        ),
    ]
    tables = [
        "orders_order",
        "orders_customer",
        "orders_address",
        "orders_ordercheck",
        "orders_shipment",
        "invoicing_invoice",
        "invoicing_payment",
        "orders_emailnotification",
        "orders_orderevent",
        "inventory_stockmovement",
        "feedback_feedbackrequest",
        "feedback_feedback",
        "invoicing_creditnote",
        "invoicing_amountowedback",
        "invoicing_refund",
        "orders_returnrequest",
        "invoicing_storecreditaccount",
        "invoicing_storecreditentry",
        "webhooks_webhookdelivery",
        "orders_externalorderreference",
    ]
    with connection.cursor() as cursor:
        # Loading first and indexing afterwards is several times faster than keeping ~20 indexes of a
        # table up to date row by row, and one join per foreign key checks the rows faster than a
        # trigger per row. What is built again is the migrations' own definitions (pg_indexes,
        # pg_get_constraintdef). Indexes behind constraints (primary keys, unique) stay.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
            " AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        secondary = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        for table, name, _definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        _column_defaults(cursor)
        for label, sql in statements:
            started = time.monotonic()
            cursor.execute(sql)  # no parameters: several statements at once, and % is the modulo
            _log(f"  {label}: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in secondary:
            cursor.execute(definition)
        _log(f"  {len(secondary)} indexes built again: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        for table, name, definition in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        _log(f"  {len(foreign_keys)} foreign keys checked and added again: {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        for table in tables:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
        _log(f"  VACUUM ANALYZE: {time.monotonic() - started:.1f} s")
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts


# -- the requests ---------------------------------------------------------------------------------------


def _samples() -> dict[str, str]:
    """Search terms taken from the rows, the way staff would type them."""
    from inventory.models import StockMovement
    from invoicing.models import CreditNote, Invoice, Payment, StoreCreditAccount
    from orders.models import Customer, ExternalOrderReference, Order, ReturnRequest, Shipment
    from webhooks.models import WebhookDelivery

    middle = Order.objects.filter(pk__gte=Order.objects.order_by("-pk").values_list("pk", flat=True)[0] // 2)
    order = middle.exclude(status="draft").order_by("pk").first()
    customer = order.customer
    shipment = Shipment.objects.exclude(tracking_number="").filter(order__pk__gte=order.pk).order_by("pk").first()
    invoice = Invoice.objects.filter(order__pk__gte=order.pk).order_by("pk").first()
    payment = Payment.objects.exclude(reference="").filter(order__pk__gte=order.pk).order_by("pk").first()
    movement = StockMovement.objects.filter(kind="dispatch", pk__gte=order.pk).order_by("pk").first()
    company = Customer.objects.exclude(company="").filter(pk__gte=customer.pk).order_by("pk").first()
    credit_note = CreditNote.objects.filter(order__pk__gte=order.pk).select_related("order").order_by("pk").first()
    rma = ReturnRequest.objects.filter(order__pk__gte=order.pk).order_by("pk").first()
    credit = StoreCreditAccount.objects.filter(customer__pk__gte=customer.pk).select_related("customer").first()
    delivery = WebhookDelivery.objects.order_by("pk")[WebhookDelivery.objects.count() // 2]
    reference = ExternalOrderReference.objects.select_related("order").order_by("pk").last()
    return {
        "order_number": order.number,
        "order_prefix": order.number[:4],
        "email_exact": customer.email.upper(),
        "email_prefix": customer.email[: customer.email.index(".") + 4].lower(),
        "name_prefix": customer.full_name.split()[0] + " " + customer.full_name.split()[1][:3],
        "company_prefix": company.company[:5],
        "shipment_number": shipment.number,
        "tracking": shipment.tracking_number,
        "invoice_number": invoice.number.lower(),
        "invoice_prefix": invoice.number[:-2],
        "billing_prefix": invoice.billing_name[:6],
        "payment_reference": payment.reference.lower(),
        "stock_level": "1",
        "movement_reference": movement.reference,
        "credit_note_number": credit_note.number.lower(),
        "credit_note_order": credit_note.order.number,
        "rma_number": rma.number,
        "credit_email": credit.customer.email.upper(),
        "event_id": delivery.event_id,
        "external_reference": reference.reference,
        "external_order_prefix": reference.order.number[:-2],
    }


def _requests(samples: dict[str, str]) -> list[tuple[str, str, str]]:
    """(list, what, url) for each request measured."""

    def url(model: str, **params) -> str:
        return f"/admin/{model}/" + (f"?{urlencode(params)}" if params else "")

    orders, movements, hooks = "orders/order", "inventory/stockmovement", "webhooks/webhookdelivery"
    return [
        ("orders", "first page", url(orders)),
        ("orders", "page 500", url(orders, p=500)),
        ("orders", "status: completed (80 %)", url(orders, status__exact="completed")),
        ("orders", "status: on hold (0.3 %)", url(orders, status__exact="on_hold")),
        ("orders", "status: completed, page 500", url(orders, status__exact="completed", p=500)),
        ("orders", "channel: import (1 %)", url(orders, channel__exact="import")),
        ("orders", "payment: store credit (1 %)", url(orders, payment_method__exact="store_credit")),
        ("orders", "hold reason: customer", url(orders, hold_reason="customer")),
        ("orders", "placed: today", url(orders, **_date_range("placed_at", "today"))),
        ("orders", "placed: this year", url(orders, **_date_range("placed_at", "this year"))),
        ("orders", "search: order number", url(orders, q=samples["order_number"])),
        ("orders", "search: number prefix (4 digits)", url(orders, q=samples["order_prefix"])),
        ("orders", "search: e-mail, other case", url(orders, q=samples["email_exact"])),
        ("orders", "search: e-mail prefix", url(orders, q=samples["email_prefix"])),
        ("orders", "sorted by number", url(orders, o="1")),
        ("orders", "payment: overdue (1 %)", url(orders, payment_standing__exact="overdue")),
        ("orders", "payment: refunded (0.3 %)", url(orders, payment_standing__exact="refunded")),
        ("stock movements", "first page", url(movements)),
        ("stock movements", "page 500", url(movements, p=500)),
        ("stock movements", "kind: write-off (2 %)", url(movements, kind__exact="write_off")),
        ("stock movements", "warehouse: Rotterdam", url(movements, stock_level__warehouse__id__exact="2")),
        ("stock movements", "one stock level's ledger", url(movements, stock_level__id__exact=samples["stock_level"])),
        ("stock movements", "created: past 7 days", url(movements, **_date_range("created_at", "past 7 days"))),
        ("stock movements", "search: reference (order number)", url(movements, q=samples["movement_reference"])),
        ("stock movements", "search: SKU", url(movements, q="sku-00042")),
        ("shipments", "first page", url("orders/shipment")),
        ("shipments", "page 500", url("orders/shipment", p=500)),
        ("shipments", "status: picking", url("orders/shipment", status__exact="picking")),
        ("shipments", "warehouse: Rotterdam", url("orders/shipment", warehouse__id__exact="2")),
        ("shipments", "carrier: GLS (0.5 %)", url("orders/shipment", carrier="GLS")),
        ("shipments", "search: shipment number", url("orders/shipment", q=samples["shipment_number"])),
        ("shipments", "search: order number", url("orders/shipment", q=samples["order_number"])),
        ("shipments", "search: tracking number", url("orders/shipment", q=samples["tracking"])),
        ("invoices", "first page", url("invoicing/invoice")),
        ("invoices", "page 500", url("invoicing/invoice", p=500)),
        ("invoices", "status: partially paid", url("invoicing/invoice", status__exact="partially_paid")),
        ("invoices", "payment: overdue", url("invoicing/invoice", payment="overdue")),
        ("invoices", "issued: this month", url("invoicing/invoice", **_date_range("issued_at", "this month"))),
        ("invoices", "search: invoice number, lower case", url("invoicing/invoice", q=samples["invoice_number"])),
        ("invoices", "search: invoice number prefix", url("invoicing/invoice", q=samples["invoice_prefix"])),
        ("invoices", "search: order number", url("invoicing/invoice", q=samples["order_number"])),
        ("invoices", "search: e-mail", url("invoicing/invoice", q=samples["email_exact"])),
        ("invoices", "search: billing name prefix", url("invoicing/invoice", q=samples["billing_prefix"])),
        ("payments", "first page", url("invoicing/payment")),
        ("payments", "page 500", url("invoicing/payment", p=500)),
        ("payments", "method: cash in person (2 %)", url("invoicing/payment", method="in_person_cash")),
        ("payments", "created: past 7 days", url("invoicing/payment", **_date_range("created_at", "past 7 days"))),
        ("payments", "search: order number", url("invoicing/payment", q=samples["order_number"])),
        ("payments", "search: reference, lower case", url("invoicing/payment", q=samples["payment_reference"])),
        ("customers", "first page", url("orders/customer")),
        ("customers", "page 500", url("orders/customer", p=500)),
        ("customers", "terms: net (2 %)", url("orders/customer", payment_terms__exact="net")),
        ("customers", "search: e-mail, other case", url("orders/customer", q=samples["email_exact"])),
        ("customers", "search: name prefix", url("orders/customer", q=samples["name_prefix"])),
        ("customers", "search: company prefix", url("orders/customer", q=samples["company_prefix"])),
        ("outbox", "first page", url("orders/emailnotification")),
        ("outbox", "page 500", url("orders/emailnotification", p=500)),
        ("outbox", "status: failed (1 %)", url("orders/emailnotification", status__exact="failed")),
        ("outbox", "kind: back-order ready (0.1 %)", url("orders/emailnotification", kind__exact="backorder_ready")),
        ("outbox", "search: order number", url("orders/emailnotification", q=samples["order_number"])),
        ("outbox", "search: recipient", url("orders/emailnotification", q=samples["email_exact"])),
        ("events", "first page", url("orders/orderevent")),
        ("events", "page 500", url("orders/orderevent", p=500)),
        ("events", "object: shipment", url("orders/orderevent", object_type="shipment")),
        ("events", "created: today", url("orders/orderevent", **_date_range("created_at", "today"))),
        ("events", "search: order number", url("orders/orderevent", q=samples["order_number"])),
        ("feedback", "first page", url("feedback/feedback")),
        ("feedback", "page 500", url("feedback/feedback", p=500)),
        ("feedback", "follow-up to do", url("feedback/feedback", follow_up="open")),
        ("feedback", "search: words in the comment", url("feedback/feedback", q="damaged")),
        ("credit notes", "first page", url("invoicing/creditnote")),
        ("credit notes", "page 200", url("invoicing/creditnote", p=200)),
        ("credit notes", "search: credit note number", url("invoicing/creditnote", q=samples["credit_note_number"])),
        ("credit notes", "search: order number", url("invoicing/creditnote", q=samples["credit_note_order"])),
        ("refunds", "first page", url("invoicing/refund")),
        ("refunds", "queue: failed", url("invoicing/refund", queue="failed")),
        ("refunds", "queue: bank transfers to send", url("invoicing/refund", queue="transfer")),
        ("refunds", "method: store credit", url("invoicing/refund", method="store_credit")),
        ("refunds", "search: order number", url("invoicing/refund", q=samples["credit_note_order"])),
        ("owed back", "first page", url("invoicing/amountowedback")),
        ("owed back", "open", url("invoicing/amountowedback", owed="open")),
        ("returns", "first page", url("orders/returnrequest")),
        ("returns", "page 200", url("orders/returnrequest", p=200)),
        ("returns", "queue: requested", url("orders/returnrequest", queue="requested")),
        ("returns", "queue: received, to refund", url("orders/returnrequest", queue="received")),
        ("returns", "search: RMA number", url("orders/returnrequest", q=samples["rma_number"])),
        ("store credit", "ledger: first page", url("invoicing/storecreditentry")),
        ("store credit", "ledger: page 500", url("invoicing/storecreditentry", p=500)),
        ("store credit", "ledger: kind expired", url("invoicing/storecreditentry", kind__exact="expired")),
        ("store credit", "ledger: search e-mail", url("invoicing/storecreditentry", q=samples["credit_email"])),
        ("store credit", "accounts: first page", url("invoicing/storecreditaccount")),
        ("store credit", "accounts: search e-mail", url("invoicing/storecreditaccount", q=samples["credit_email"])),
        ("feedback requests", "first page", url("feedback/feedbackrequest")),
        ("feedback requests", "search: order number", url("feedback/feedbackrequest", q=samples["order_number"])),
        ("webhook deliveries", "first page", url(hooks)),
        ("webhook deliveries", "page 500", url(hooks, p=500)),
        ("webhook deliveries", "status: failed (1 %)", url(hooks, status__exact="failed")),
        ("webhook deliveries", "status: pending (200)", url(hooks, status__exact="pending")),
        ("webhook deliveries", "event: return.received", url(hooks, event_type__exact="return.received")),
        ("webhook deliveries", "one subscription's log", url(hooks, subscription__id__exact=2)),
        ("webhook deliveries", "search: event id", url(hooks, q=samples["event_id"])),
        ("order imports", "first page", url("orders/orderimport")),
        ("imported references", "first page", url("orders/externalorderreference")),
        (
            "imported references",
            "search: reference",
            url("orders/externalorderreference", q=samples["external_reference"]),
        ),
        (
            "imported references",
            "search: order number prefix",
            url("orders/externalorderreference", q=samples["external_order_prefix"]),
        ),
    ]


def _date_range(field: str, choice: str) -> dict[str, str]:
    """The parameters of Django's date list filter (DateFieldListFilter) for one of its choices."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = today + timedelta(days=1)
    start, end = {
        "today": (today, tomorrow),
        "past 7 days": (today - timedelta(days=7), tomorrow),
        "this month": (today.replace(day=1), (today.replace(day=1) + timedelta(days=32)).replace(day=1)),
        "this year": (today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)),
    }[choice]
    return {f"{field}__gte": str(start), f"{field}__lt": str(end)}


def _measure(browser, url: str, runs: int, explain: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment, teardown_test_environment

    response = browser.get(url)  # warm-up
    if response.status_code == 302 and "p=" in url:
        return None  # a small run: the list has fewer pages
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        browser.get(url)
        times.append((time.perf_counter() - started) * 1000)
    # The test Client keeps the template context only while Django's test instrumentation is on;
    # it is off for the timed runs.
    setup_test_environment(debug=False)
    try:
        with CaptureQueriesContext(connection) as captured:
            response = browser.get(url)
    finally:
        teardown_test_environment()
    changelist = response.context["cl"]
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    result = {
        "median_ms": statistics.median(times),
        "queries": len(captured),
        "rows": len(changelist.result_list),
        "count": f"{getattr(changelist.paginator, 'count_kind', 'exact')} {changelist.result_count:,}",
        "slowest_sql": slowest["sql"],
        "slowest_ms": float(slowest["time"]) * 1000,
    }
    if explain:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
            result["plan"] = "\n".join(row[0] for row in cursor.fetchall())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders (and stock movements); default 1,000,000")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per request (default 5)")
    parser.add_argument("--explain", action="store_true", help="print the plan of each request's slowest statement")
    parser.add_argument("--keep", action="store_true", help=f"keep the {SCRATCH_DB} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"measure a kept {SCRATCH_DB} without filling it")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    arguments = parser.parse_args()
    orders = min(max(arguments.orders, 1000), 5_000_000)

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    scratch_url = _scratch_url(server_url)
    reuse = arguments.reuse and _scratch_exists(server_url)
    if not reuse:
        _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")
        _server_admin(server_url, f"CREATE DATABASE {SCRATCH_DB}")
    started = time.monotonic()
    keep = arguments.keep or arguments.reuse
    try:
        _django_setup(scratch_url)
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        if reuse:
            _log(f"reusing {SCRATCH_DB}")
            call_command("migrate", verbosity=0, skip_checks=True)
        else:
            _log(f"migrating {SCRATCH_DB}")
            call_command("migrate", verbosity=0, skip_checks=True)
            _log(f"filling it for {orders:,} orders")
            fill_started = time.monotonic()
            counts = _fill(orders)
            rows = ", ".join(f"{table} {n:,}" for table, n in counts.items())
            _log(f"filled in {time.monotonic() - fill_started:.0f} s: {rows}")
        connection.close()

        yardstick = pgbench_run(server_url, skip=arguments.no_pgbench)
        _log(yardstick.describe())

        user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
            "bench-admin", "bench@example.com", None
        )
        browser = Client()
        browser.force_login(user)
        samples = _samples()
        results = []
        for list_name, what, url in _requests(samples):
            result = _measure(browser, url, arguments.runs, arguments.explain)
            if result is None:
                print(f"{list_name:<17} {what:<36} (the list has fewer pages at this size)")
                continue
            results.append((list_name, what, url, result))
            flag = "" if result["median_ms"] < BUDGET_MS else f"  OVER {BUDGET_MS} ms"
            print(
                f"{list_name:<17} {what:<36} {result['median_ms']:7.1f} ms  {result['queries']:>2} queries  "
                f"{result['rows']:>3} rows  count: {result['count']}{flag}",
                flush=True,
            )
            if arguments.explain:
                print(f"    slowest statement ({result['slowest_ms']:.1f} ms): {result['slowest_sql'][:600]}")
                print("    " + result["plan"].replace("\n", "\n    "))

        print()
        print(f"Console at {orders:,} orders, median of {arguments.runs} runs, Django test Client, DEBUG off")
        print(yardstick.describe())
        print()
        print("| list | request | median ms | queries | rows | count shown | share |")
        print("|---|---|---:|---:|---:|---|---|")
        for list_name, what, _url, result in results:
            share = yardstick.share(1000.0 / result["median_ms"]) if yardstick.tps else "n/a"
            print(
                f"| {list_name} | {what} | {result['median_ms']:.0f} | {result['queries']} | {result['rows']} "
                f"| {result['count']} | {share} |"
            )
        medians = [result["median_ms"] for *_, result in results]
        over = [f"{name}: {what}" for name, what, _url, result in results if result["median_ms"] >= BUDGET_MS]
        print()
        print(
            f"{len(results)} requests: median of medians {statistics.median(medians):.0f} ms, slowest "
            f"{max(medians):.0f} ms; over {BUDGET_MS} ms: {', '.join(over) or 'none'}"
        )
        print("(share: one request after another in one process, as requests/s against pgbench's tps)")
        print(f"(total wall time {time.monotonic() - started:.0f} s, PostgreSQL at 127.0.0.1, database {SCRATCH_DB})")
    finally:
        from django.db import connections

        connections.close_all()
        if not keep:
            _server_admin(server_url, f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
