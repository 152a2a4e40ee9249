"""What each export holds, and how rows become CSV or XLSX without holding them in memory.

An export is a list of columns over one model, read with values_list(...).iterator(chunk_size), so
the database hands rows over in chunks and only one chunk is in memory. Money stays Decimal (CSV
writes its exact text; XLSX stores the same digits as a number with two decimals), moments are in
the shop's time zone, choices are written as their labels. Text that a spreadsheet would run as a
formula (starting with =, +, -, @, a tab or a carriage return) is neutralised: in CSV with a
leading apostrophe, in XLSX by storing the cell as text.
"""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models import F
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from feedback.models import Feedback
from inventory.models import StockLevel, StockMovement
from invoicing.models import CreditNote, Invoice, Payment, Refund
from orders.models import Order, OrderLine, ReturnRequest, Shipment

CHUNK_ROWS = 2000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    header: str
    path: str  # a values() path, or the name of an annotation of the export


@dataclass(frozen=True)
class Export:
    key: str
    label: str
    model: type[models.Model]
    columns: tuple[Column, ...]
    date_field: str | None  # what the date range filters on ("placed between ...")
    annotations: dict = field(default_factory=dict)

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]

    def rows(self, queryset) -> Iterator[list]:
        """The rows of `queryset` (of this export's model) as lists of cell values, in chunks."""
        paths = [column.path for column in self.columns]
        shape = [_shaper(self.model, path, self.annotations) for path in paths]
        values = queryset.annotate(**self.annotations).values_list(*paths).iterator(chunk_size=CHUNK_ROWS)
        for row in values:
            yield [convert(value) for convert, value in zip(shape, row, strict=True)]


def _field(model, path: str):
    """The model field at the end of a values() path (None for an annotation)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def _shaper(model, path: str, annotations: dict) -> Callable:
    model_field = None if path in annotations else _field(model, path)
    if model_field is not None and model_field.choices:
        labels = {value: str(label) for value, label in model_field.flatchoices}
        return lambda value: labels.get(value, value) if value is not None else ""
    return _cell


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    return value


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)


class _Line:
    """A file-like object that hands back what csv.writer writes to it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(export: Export, queryset) -> Iterator[str]:
    """The header, then one CSV line per row (with a byte-order mark first, so that spreadsheets
    read the file as UTF-8)."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(export.headers)
    for row in export.rows(queryset):
        yield writer.writerow([_text(value) for value in row])


def csv_write(export: Export, queryset, out, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the CSV to a text file; `progress(rows done)` every chunk. Returns the rows written."""
    done = 0
    for done, line in enumerate(csv_lines(export, queryset)):
        out.write(line)
        if progress and done and done % CHUNK_ROWS == 0:
            progress(done)
    return done


def xlsx_write(export: Export, queryset, out, *, progress: Callable[[int], None] | None = None) -> int:
    """Write an XLSX workbook (openpyxl's write-only mode: rows go to disk as they come) to a binary
    file. Returns the rows written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(export.label[:31])
    sheet.append(export.headers)
    done = 0
    for done, row in enumerate(export.rows(queryset), start=1):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        if progress and done % CHUNK_ROWS == 0:
            progress(done)
    book.save(out)
    return done


def _xlsx_cell(sheet, value):
    if isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "0.00"
        return cell
    if isinstance(value, str) and value:
        # A string is stored as text whatever it begins with (openpyxl would write "=..." as a formula).
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(header, path) for header, path in pairs)


EXPORTS: dict[str, Export] = {
    export.key: export
    for export in (
        Export(
            "orders",
            "Orders",
            Order,
            _columns(
                ("Order", "number"),
                ("Placed", "placed_at"),
                ("Status", "status"),
                ("Payment", "payment_standing"),
                ("Channel", "channel"),
                ("Customer", "customer__full_name"),
                ("E-mail", "email"),
                ("Payment method", "payment_method"),
                ("Currency", "currency"),
                ("Goods before discount", "subtotal"),
                ("Discount", "discount_total"),
                ("Delivery", "shipping_total"),
                ("Tax", "tax_total"),
                ("Total", "total"),
            ),
            "placed_at",
        ),
        Export(
            "order_lines",
            "Order lines",
            OrderLine,
            _columns(
                ("Order", "order__number"),
                ("Placed", "order__placed_at"),
                ("SKU", "sku"),
                ("Product", "name"),
                ("Quantity", "quantity"),
                ("Unit price", "unit_price"),
                ("Discount", "discount_amount"),
                ("Net", "net_amount"),
                ("Tax rate", "tax_rate"),
                ("Tax", "tax_amount"),
                ("Line total", "line_total"),
            ),
            "order__placed_at",
        ),
        Export(
            "shipments",
            "Shipments",
            Shipment,
            _columns(
                ("Parcel", "number"),
                ("Order", "order__number"),
                ("Warehouse", "warehouse__code"),
                ("Status", "status"),
                ("Carrier", "carrier"),
                ("Service", "service"),
                ("Tracking number", "tracking_number"),
                ("Dispatch by", "dispatch_by"),
                ("Dispatched", "dispatched_at"),
                ("Delivered", "delivered_at"),
            ),
            "created_at",
        ),
        Export(
            "invoices",
            "Invoices",
            Invoice,
            _columns(
                ("Invoice", "number"),
                ("Order", "order__number"),
                ("Status", "status"),
                ("Issued", "issued_at"),
                ("Due", "due_date"),
                ("Billed to", "billing_name"),
                ("Currency", "currency"),
                ("Goods before discount", "subtotal"),
                ("Discount", "discount_total"),
                ("Delivery", "shipping_total"),
                ("Tax", "tax_total"),
                ("Total", "total"),
                ("Paid", "amount_paid"),
                ("Credited", "amount_credited"),
            ),
            "issued_at",
        ),
        Export(
            "credit_notes",
            "Credit notes",
            CreditNote,
            _columns(
                ("Credit note", "number"),
                ("Invoice", "invoice__number"),
                ("Order", "order__number"),
                ("Issued", "issued_at"),
                ("Reason", "reason"),
                ("Currency", "currency"),
                ("Net", "net_total"),
                ("Tax", "tax_total"),
                ("Total", "total"),
            ),
            "issued_at",
        ),
        Export(
            "payments",
            "Payments",
            Payment,
            _columns(
                ("Payment", "id"),
                ("Order", "order__number"),
                ("Invoice", "invoice__number"),
                ("Method", "method"),
                ("Status", "status"),
                ("Amount", "amount"),
                ("Refunded", "amount_refunded"),
                ("Received", "captured_at"),
                ("Reference", "reference"),
            ),
            "created_at",
        ),
        Export(
            "refunds",
            "Refunds",
            Refund,
            _columns(
                ("Refund", "id"),
                ("Order", "order__number"),
                ("Method", "method"),
                ("Status", "status"),
                ("Amount", "amount"),
                ("Reason", "reason"),
                ("Started", "created_at"),
                ("Paid out", "succeeded_at"),
            ),
            "created_at",
        ),
        Export(
            "stock_levels",
            "Stock levels",
            StockLevel,
            _columns(
                ("SKU", "product__sku"),
                ("Product", "product__name"),
                ("Warehouse", "warehouse__code"),
                ("On hand", "on_hand"),
                ("Allocated", "allocated"),
                ("Available", "available_now"),
                ("Reorder point", "reorder_point"),
            ),
            None,
            annotations={"available_now": F("on_hand") - F("allocated")},
        ),
        Export(
            "stock_movements",
            "Stock movements",
            StockMovement,
            _columns(
                ("When", "created_at"),
                ("SKU", "stock_level__product__sku"),
                ("Warehouse", "stock_level__warehouse__code"),
                ("Kind", "kind"),
                ("On hand change", "on_hand_delta"),
                ("Allocated change", "allocated_delta"),
                ("Reason", "reason"),
                ("Reference", "reference"),
            ),
            "created_at",
        ),
        Export(
            "returns",
            "Returns",
            ReturnRequest,
            _columns(
                ("RMA", "number"),
                ("Order", "order__number"),
                ("Status", "status"),
                ("Reason", "reason"),
                ("Refund to", "refund_to"),
                ("Requested", "created_at"),
                ("Received", "received_at"),
                ("Closed", "closed_at"),
                ("Credit note", "credit_note_number"),
            ),
            "created_at",
        ),
        Export(
            "feedback",
            "Feedback",
            Feedback,
            _columns(
                ("Received", "created_at"),
                ("Order", "request__order__number"),
                ("Rating", "overall_rating"),
                ("Comment", "comment"),
                ("Needs follow-up", "needs_follow_up"),
                ("Followed up", "followed_up_at"),
            ),
            "created_at",
        ),
    )
}

EXPORT_BY_MODEL = {export.model: export for export in EXPORTS.values()}


def in_range(export: Export, queryset, *, start=None, end=None):
    """Narrow to the export's date range (moments, `end` excluded)."""
    if export.date_field and start is not None:
        queryset = queryset.filter(**{f"{export.date_field}__gte": start})
    if export.date_field and end is not None:
        queryset = queryset.filter(**{f"{export.date_field}__lt": end})
    return queryset
