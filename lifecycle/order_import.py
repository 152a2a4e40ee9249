"""CSV order import (channel "import"), from the console or the API.

One row per order line; rows with the same `order_reference` are one order, and must agree on
the order's columns. The whole file is checked first, with every problem named by its row (as a
spreadsheet numbers it: the header is row 1) and column; a file with any problem creates nothing.
A reference imported before from the same source is skipped, so the same file uploaded twice
creates nothing the second time, and a file that repeats yesterday's rows adds only today's.

Then the orders are placed through the same checkout as every other order (external_orders),
ORDER_IMPORT_BATCH orders to a transaction, so a big file does not hold stock rows locked for
minutes while shoppers check out. Files of more than ORDER_IMPORT_ROWS_IN_REQUEST rows go to the
worker, which counts its progress on the import's row after each batch. The worker checks the file
again first (a product may have been withdrawn since the upload). Should placement still refuse an
order after that (the catalogue changed in the meantime), the import stops there: that batch is
rolled back, the orders of earlier batches stay (each with its reference), and uploading the
corrected file creates the rest.
"""

import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from orders.models import Address, Customer, ExternalOrderReference, Order, OrderImport
from orders.selectors.shipping import delivery_fee_for, parcel_measure
from orders.services.placement import MAX_LINE_QUANTITY, AddressData, delivery_choice_problems
from orders_site.core.countries import COUNTRY_NAMES
from orders_site.core.exceptions import ApplicationError
from orders_site.core.tasks import task_send, task_send_on_commit

from .external_orders import CatalogueCodes, ExternalLine, ExternalOrder, external_order_place

RUN_TASK = "lifecycle.tasks.order_import_run_task"
PAYMENT_METHODS = (
    Order.PaymentMethod.BANK_TRANSFER,
    Order.PaymentMethod.CASH_ON_DELIVERY,
    Order.PaymentMethod.ON_INVOICE,
)
MAX_PROBLEMS_KEPT = 1000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    meaning: str
    example: str
    per_order: bool = True  # the same on every row of an order


ADDRESS_PARTS = (
    ("name", "full_name", "Recipient", "Anna de Vries"),
    ("company", "company", "Company", ""),
    ("line1", "line1", "Street and number", "Keizersgracht 1"),
    ("line2", "line2", "Second address line", ""),
    ("postal_code", "postal_code", "Postal code", "1015 CJ"),
    ("city", "city", "City", "Amsterdam"),
    ("region", "region", "Region or state", ""),
    ("country", "country", "ISO country code", "NL"),
)
ADDRESS_NEEDED = ("name", "line1", "postal_code", "city", "country")

COLUMNS: tuple[Column, ...] = (
    Column("order_reference", True, "Your order number; rows with the same one are one order", "MP-10001"),
    Column("email", True, "The customer's e-mail (an existing customer with it is reused)", "anna@example.com"),
    Column("full_name", True, "The customer's name", "Anna de Vries"),
    Column("phone", False, "The customer's phone number", "+31 20 123 4567"),
    Column("sku", True, "The product's SKU (its price comes from the catalogue)", "CHAIR-1", per_order=False),
    Column("quantity", True, f"Units, 1 to {MAX_LINE_QUANTITY}", "2", per_order=False),
    Column("customisation_notes", False, "Notes for this line", "", per_order=False),
    Column("delivery_method", True, "The delivery method's code", "standard"),
    Column("payment_method", True, f"One of: {', '.join(PAYMENT_METHODS)}", "bank_transfer"),
    *(
        Column(f"ship_{part}", part in ADDRESS_NEEDED, f"Delivery address: {meaning}", example)
        for part, _field, meaning, example in ADDRESS_PARTS
    ),
    *(
        Column(f"bill_{part}", False, f"Billing address (blank: the delivery address): {meaning}", "")
        for part, _field, meaning, _example in ADDRESS_PARTS
    ),
    Column("requested_delivery_date", False, "The day the customer wants it, YYYY-MM-DD", ""),
    Column("delivery_instructions", False, "For the carrier", ""),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED = tuple(column.name for column in COLUMNS if column.required)
PER_ORDER = tuple(column.name for column in COLUMNS if column.per_order)
# Where placement's refusals point, in the file's columns.
FIELD_COLUMNS = {
    "lines": "sku",
    "delivery_method": "delivery_method",
    "payment_method": "payment_method",
    "shipping_address": "ship_line1",
    "email": "email",
    "requested_delivery_date": "requested_delivery_date",
}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def as_data(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportedOrder:
    reference: str
    first_row: int
    order: ExternalOrder


@dataclass
class ParsedFile:
    rows: int
    orders: list[ImportedOrder]
    skipped: int  # orders whose reference this source imported before
    problems: list[Problem]
    codes: CatalogueCodes


def order_import_template() -> str:
    """The downloadable template: every column, and one two-line order as an example."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMN_NAMES)
    first = [column.example for column in COLUMNS]
    second = list(first)
    second[COLUMN_NAMES.index("sku")], second[COLUMN_NAMES.index("quantity")] = "LAMP-1", "1"
    writer.writerows([first, second])
    return out.getvalue()


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:  # a spreadsheet saved as "CSV" on Windows
        return content.decode("cp1252", errors="replace")


def _rows(text: str) -> list[list[str]]:
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample.splitlines()[0] if sample else "", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _header_problems(header: list[str]) -> list[Problem]:
    problems = [
        Problem(1, name, f"Unknown column “{name}”: see the template for the column names.")
        for name in header
        if name not in COLUMN_NAMES
    ]
    problems += [Problem(1, name, f"The column “{name}” is missing.") for name in REQUIRED if name not in header]
    seen = set()
    for name in header:
        if name in seen:
            problems.append(Problem(1, name, f"The column “{name}” appears twice."))
        seen.add(name)
    return problems


def order_import_parse(*, content: bytes, source: str) -> ParsedFile:
    """Read and check the whole file. Reads the catalogue, the customers and the references once."""
    text = _text(content)
    empty = ParsedFile(rows=0, orders=[], skipped=0, problems=[], codes=CatalogueCodes())
    if "\x00" in text:  # UTF-16, a spreadsheet's own format, or not text at all
        empty.problems.append(
            Problem(1, "", "This is not a CSV text file (it holds NUL characters): save it as “CSV UTF-8”.")
        )
        return empty
    table = _rows(text)
    if not table:
        empty.problems.append(Problem(1, "", "The file is empty: download the template for the columns."))
        return empty
    header = [name.strip().lower().replace(" ", "_") for name in table[0]]
    problems = _header_problems([name for name in header if name])
    if problems:
        return ParsedFile(rows=len(table) - 1, orders=[], skipped=0, problems=problems, codes=CatalogueCodes())
    records = []
    for number, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            problems.append(Problem(number, "", f"This row has {len(cells)} cells, the header {len(header)}."))
            continue
        records.append((number, {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}))
    if len(records) > settings.ORDER_IMPORT_MAX_ROWS:
        problems.append(
            Problem(1, "", f"The file has {len(records):,} rows; at most {settings.ORDER_IMPORT_MAX_ROWS:,} at once.")
        )
        return ParsedFile(rows=len(records), orders=[], skipped=0, problems=problems, codes=CatalogueCodes())
    codes = CatalogueCodes.read(
        method_codes={r["delivery_method"] for _n, r in records}, skus={r["sku"] for _n, r in records}
    )
    return _checked(records, problems=problems, codes=codes, source=source)


def _checked(records, *, problems: list[Problem], codes: CatalogueCodes, source: str) -> ParsedFile:
    by_reference: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for number, record in records:
        problems += _row_problems(number, record, codes)
        if record["order_reference"]:
            by_reference[record["order_reference"]].append((number, record))
    imported = _imported_before(source=source, references=list(by_reference))
    accounts = _on_account_emails({rows[0][1]["email"].lower() for rows in by_reference.values()})
    orders = []
    for reference, rows in by_reference.items():
        if reference in imported:
            continue
        first_number, first = rows[0]
        for number, record in rows[1:]:
            problems += [
                Problem(number, name, f"Differs from row {first_number} of the same order (“{first[name]}”).")
                for name in PER_ORDER
                if record.get(name, "") != first.get(name, "")
            ]
        order = _order(first, [record for _n, record in rows])
        problems += _order_problems(first_number, order, codes, accounts)
        orders.append(ImportedOrder(reference=reference, first_row=first_number, order=order))
    problems.sort(key=lambda problem: (problem.row, COLUMN_NAMES.index(problem.column) if problem.column else -1))
    return ParsedFile(
        rows=len(records),
        orders=[] if problems else orders,
        skipped=len(imported),
        problems=problems,
        codes=codes,
    )


def _imported_before(*, source: str, references: list[str]) -> set[str]:
    found = set()
    for start in range(0, len(references), 1000):
        found |= set(
            ExternalOrderReference.objects.filter(
                source=source, reference__in=references[start : start + 1000]
            ).values_list("reference", flat=True)
        )
    return found


def _on_account_emails(emails: set[str]) -> set[str]:
    """The e-mails (lower case) of customers who may pay on invoice."""
    found = set()
    emails = sorted(emails)
    for start in range(0, len(emails), 1000):
        customers = Customer.objects.filter(email__in=emails[start : start + 1000])
        found |= {customer.email.lower() for customer in customers if customer.on_account}
    return found


def _max_length(field: str) -> int:
    return Address._meta.get_field(field).max_length


def _row_problems(number: int, record: dict, codes: CatalogueCodes) -> list[Problem]:
    problems = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, column, message))

    for name in REQUIRED:
        if name.startswith("ship_"):
            continue  # a pick-up method needs no delivery address: checked below
        if not record.get(name):
            problem(name, "Required.")
    if len(record["order_reference"]) > 100:
        problem("order_reference", "At most 100 characters.")
    if record["email"]:
        try:
            validate_email(record["email"])
        except ValidationError:
            problem("email", f"“{record['email']}” is not an e-mail address.")
    if len(record["full_name"]) > 200:
        problem("full_name", "At most 200 characters.")
    sku = record["sku"]
    if sku and sku not in codes.products:
        problem("sku", f"No product has the SKU “{sku}”.")
    elif sku and not codes.products[sku].is_active:
        problem("sku", f"{sku} is no longer sold.")
    quantity = record["quantity"]
    if quantity and (not quantity.isdigit() or not 1 <= int(quantity) <= MAX_LINE_QUANTITY):
        problem("quantity", f"A whole number from 1 to {MAX_LINE_QUANTITY}, not “{quantity}”.")
    method_code = record["delivery_method"]
    method = codes.methods.get(method_code)
    if method_code and method is None:
        problem("delivery_method", f"No active delivery method has the code “{method_code}”.")
    payment = record["payment_method"]
    if payment and payment not in PAYMENT_METHODS:
        problem("payment_method", f"One of {', '.join(PAYMENT_METHODS)}, not “{payment}”.")
    needs_delivery_address = method is None or not method.is_pickup
    problems += _address_problems(number, record, "ship", required=needs_delivery_address)
    has_billing = any(record.get(f"bill_{part}") for part, *_rest in ADDRESS_PARTS)
    problems += _address_problems(number, record, "bill", required=has_billing)
    if not has_billing and method is not None and method.is_pickup and not record.get("ship_line1"):
        problem("bill_line1", "A pick-up order needs its billing address.")
    wanted = record.get("requested_delivery_date", "")
    if wanted:
        try:
            date.fromisoformat(wanted)
        except ValueError:
            problem("requested_delivery_date", f"A date as YYYY-MM-DD, not “{wanted}”.")
    return problems


def _address_problems(number: int, record: dict, prefix: str, *, required: bool) -> list[Problem]:
    problems = []
    for part, field, _meaning, _example in ADDRESS_PARTS:
        column, value = f"{prefix}_{part}", record.get(f"{prefix}_{part}", "")
        if required and part in ADDRESS_NEEDED and not value:
            problems.append(Problem(number, column, "Required."))
        elif len(value) > _max_length(field):
            problems.append(Problem(number, column, f"At most {_max_length(field)} characters."))
    country = record.get(f"{prefix}_country", "")
    if country and country.upper() not in COUNTRY_NAMES:
        problems.append(Problem(number, f"{prefix}_country", f"“{country}” is not an ISO country code, e.g. NL."))
    return problems


def _address(record: dict, prefix: str) -> AddressData | None:
    if not record.get(f"{prefix}_line1"):
        return None
    return AddressData(**{field: record.get(f"{prefix}_{part}", "") for part, field, *_rest in ADDRESS_PARTS})


def _quantity(text: str) -> int:
    return int(text) if text.isdigit() else 0  # 0: reported by _row_problems


def _order(first: dict, records: list[dict]) -> ExternalOrder:
    shipping = _address(first, "ship")
    wanted = first.get("requested_delivery_date", "")
    try:
        requested = date.fromisoformat(wanted) if wanted else None
    except ValueError:
        requested = None  # reported by _row_problems
    return ExternalOrder(
        email=first["email"],
        full_name=first["full_name"],
        phone=first.get("phone", ""),
        lines=[
            ExternalLine(
                r["sku"], int(r["quantity"]) if r["quantity"].isdigit() else 0, r.get("customisation_notes", "")
            )
            for r in records
        ],
        delivery_method=first["delivery_method"],
        payment_method=first["payment_method"],
        shipping_address=shipping,
        billing_address=_address(first, "bill") or shipping,
        requested_delivery_date=requested,
        delivery_instructions=first.get("delivery_instructions", ""),
    )


def _order_problems(number: int, order: ExternalOrder, codes: CatalogueCodes, accounts: set[str]) -> list[Problem]:
    """What placement would refuse about the order as a whole, found before anything is made."""
    method = codes.methods.get(order.delivery_method)
    known = [line for line in order.lines if line.sku in codes.products and line.quantity > 0]
    if method is None or order.payment_method not in PAYMENT_METHODS or len(known) < len(order.lines):
        return []  # the rows' own problems say why
    problems = [
        Problem(number, FIELD_COLUMNS.get(field, ""), message)
        for field, message in delivery_choice_problems(
            delivery_method=method,
            payment_method=order.payment_method,
            requested_delivery_date=order.requested_delivery_date,
        )
    ]
    if order.payment_method == Order.PaymentMethod.ON_INVOICE and order.email.lower() not in accounts:
        problems.append(Problem(number, "payment_method", "Pay on invoice is for customers with payment terms."))
    if order.shipping_address is not None:
        weight, goods = parcel_measure(
            (codes.products[line.sku], line.quantity, codes.products[line.sku].price) for line in known
        )
        country = order.shipping_address.country.upper()
        fee = delivery_fee_for(method=method, country=country, weight_grams=weight, goods_total=goods)
        if fee is None:
            problems.append(
                Problem(number, "delivery_method", f"{method.name} does not deliver this order to {country}.")
            )
    return problems


def order_import_create(
    *, source: str, file_name: str, content: bytes, placed_via: str, created_by=None
) -> OrderImport:
    """Keep the file, check it, and place its orders (now, or in the worker when it is large).
    Returns the import: REFUSED with its problems, DONE, or QUEUED. Raises ApplicationError
    (field "source" or "file") for a missing source or an empty or oversized file."""
    source, file_name = source.replace("\x00", "").strip(), file_name.replace("\x00", "")
    if not source:
        raise ApplicationError("Say where these orders come from.", extra={"field": "source"})
    if len(source) > 60:
        raise ApplicationError("At most 60 characters.", extra={"field": "source"})
    if not content.strip():
        raise ApplicationError("The file is empty.", extra={"field": "file"})
    if len(content) > settings.ORDER_IMPORT_MAX_MB * 1024 * 1024:
        raise ApplicationError(
            f"The file is larger than {settings.ORDER_IMPORT_MAX_MB} MB; split it.", extra={"field": "file"}
        )
    parsed = order_import_parse(content=content, source=source)
    job = OrderImport(
        source=source,
        file_name=file_name[:200],
        placed_via=placed_via[:120],
        created_by=created_by,
        rows_total=parsed.rows,
        orders_total=len(parsed.orders),
        orders_skipped=parsed.skipped,
    )
    job.file.save(file_name or "orders.csv", ContentFile(content), save=False)
    if parsed.problems:
        _refuse(job, parsed.problems, save=False)
        job.save()
        return job
    if not parsed.orders:
        job.status, job.finished_at = OrderImport.Status.DONE, timezone.now()
        job.save()
        return job
    if parsed.rows <= settings.ORDER_IMPORT_ROWS_IN_REQUEST:
        job.status = OrderImport.Status.RUNNING  # here and now (the beat resumes it if this process dies)
        job.save()
        return _place_all(job, parsed)
    job.save()
    task_send_on_commit(RUN_TASK, job.pk)
    return job


def _refuse(job: OrderImport, problems: list[Problem], *, save: bool = True) -> None:
    job.status = OrderImport.Status.REFUSED
    job.problems = [problem.as_data() for problem in problems[:MAX_PROBLEMS_KEPT]]
    job.finished_at = timezone.now()
    if save:
        job.save(update_fields=["status", "problems", "finished_at"])


def order_import_run(*, import_id: int) -> OrderImport | None:
    """The worker's part: check the file again, then place its orders, for at most
    ORDER_IMPORT_TASK_SECONDS. Returns the import: QUEUED again when orders are left (the task
    then runs once more; the next run skips what this import placed already, by its references),
    else DONE, REFUSED or FAILED; None when it was not queued (done, or taken by another worker)."""
    with transaction.atomic():
        job = (
            OrderImport.objects.select_for_update(skip_locked=True)
            .filter(pk=import_id, status=OrderImport.Status.QUEUED)
            .first()
        )
        if job is None:
            return None
        job.status, job.touched_at = OrderImport.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "touched_at"])
    with job.file.open("rb") as stored:
        content = stored.read()
    parsed = order_import_parse(content=content, source=job.source)
    if parsed.problems:
        _refuse(job, parsed.problems)
        return job
    done_here = job.references.count()
    OrderImport.objects.filter(pk=job.pk).update(
        orders_total=len(parsed.orders) + done_here, orders_done=done_here, orders_skipped=parsed.skipped - done_here
    )
    return _place_all(job, parsed, seconds=settings.ORDER_IMPORT_TASK_SECONDS)


def order_imports_requeue_stale(*, now=None) -> int:
    """The beat's sweep: an import queued but never taken (a broker outage), or running without
    progress for ORDER_IMPORT_STALE_SECONDS (its worker died), is queued again. Returns how many."""
    now = now or timezone.now()
    queued_before = now - timedelta(seconds=settings.RECOVERY_SWEEP_AFTER_SECONDS)
    running_before = now - timedelta(seconds=settings.ORDER_IMPORT_STALE_SECONDS)
    stale = list(
        OrderImport.objects.filter(
            Q(status=OrderImport.Status.QUEUED, touched_at__lt=queued_before)
            | Q(status=OrderImport.Status.RUNNING, touched_at__lt=running_before)
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        OrderImport.objects.filter(pk=pk).update(status=OrderImport.Status.QUEUED, touched_at=now)
        task_send(RUN_TASK, pk)
    return len(stale)


class _Stopped(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def _place_all(job: OrderImport, parsed: ParsedFile, *, seconds: float | None = None) -> OrderImport:
    """Place the orders, a batch per transaction. With `seconds`, stop after the batch that passes
    them and queue the rest (the task's time limit is never reached)."""
    started = time.monotonic()
    batch = settings.ORDER_IMPORT_BATCH
    finished = OrderImport.Status.DONE
    try:
        for start in range(0, len(parsed.orders), batch):
            if seconds is not None and start and time.monotonic() - started > seconds:
                finished = OrderImport.Status.QUEUED
                break
            with transaction.atomic():
                placed, skipped = _place_batch(job, parsed.orders[start : start + batch], parsed.codes)
                OrderImport.objects.filter(pk=job.pk).update(
                    orders_done=F("orders_done") + placed,
                    orders_skipped=F("orders_skipped") + skipped,
                    touched_at=timezone.now(),
                )
    except _Stopped as stopped:
        OrderImport.objects.filter(pk=job.pk).update(
            status=OrderImport.Status.FAILED, problems=[stopped.problem.as_data()], finished_at=timezone.now()
        )
    else:
        if finished == OrderImport.Status.QUEUED:  # the task queues itself again (lifecycle.tasks)
            OrderImport.objects.filter(pk=job.pk).update(status=finished, touched_at=timezone.now())
        else:
            OrderImport.objects.filter(pk=job.pk).update(status=finished, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def _place_batch(job: OrderImport, orders: list[ImportedOrder], codes: CatalogueCodes) -> tuple[int, int]:
    placed = skipped = 0
    for imported in orders:
        try:
            with transaction.atomic():
                order = external_order_place(
                    imported.order,
                    channel=Order.Channel.IMPORT,
                    placed_via=job.placed_via,
                    placed_by=job.created_by,
                    codes=codes,
                )
                ExternalOrderReference.objects.create(
                    source=job.source, reference=imported.reference, order=order, order_import=job
                )
        except IntegrityError:  # another upload of the same rows placed it meanwhile
            skipped += 1
        except ApplicationError as refused:
            column = FIELD_COLUMNS.get(refused.extra.get("field", ""), "")
            raise _Stopped(Problem(imported.first_row, column, f"{imported.reference}: {refused.message}")) from None
        else:
            placed += 1
    return placed, skipped
