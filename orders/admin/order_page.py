"""What the order page shows, gathered for its template (templates/admin/orders/order/change_form.html).

The admin is an entry point, so it composes the reads of two layers: the order's record from
orders.selectors and its money from invoicing.selectors (invoicing sits above orders). The
timeline's sentences come from orders.timeline. Nothing here writes.
"""

from django.urls import reverse

from invoicing.models import Invoice, Payment
from invoicing.selectors import invoice_is_overdue, order_balance, order_payment_summary
from invoicing.services import order_refundable
from invoicing.services.refunds import PERMISSION as REFUND_PERMISSION
from orders.models import Order, OrderCheck, OrderVersion
from orders.selectors import addresses_alike, order_record
from orders.services.order_edits import EDITABLE, order_version_diff
from orders.timeline import Parcel, TimelineContext, timeline_entries
from orders_site.core.admin import status_badge

from .customers import address_editable
from .forms import StaffCommentForm
from .order_edits import may_edit

COMMENT_DRAFTS = "order_comment_drafts"


def comment_draft_keep(request, order: Order, *, text: str, error: str) -> None:
    """Keep a refused comment for the next view of the page, with the reason beside the field."""
    drafts = request.session.get(COMMENT_DRAFTS, {})
    drafts[str(order.pk)] = {"comment": text[:10_000], "error": error}
    request.session[COMMENT_DRAFTS] = drafts


def _comment_form(request, order: Order) -> StaffCommentForm:
    drafts = request.session.get(COMMENT_DRAFTS, {})
    draft = drafts.pop(str(order.pk), None)
    if draft is None:
        return StaffCommentForm()
    request.session.modified = True
    form = StaffCommentForm(data={"comment": draft["comment"]})
    form.is_valid()
    form.add_error("comment", draft["error"])
    return form


def payment_standing(summary, order: Order) -> tuple[str, str] | None:
    """(value, label) of the payment badge: the order's stored standing (invoicing keeps it), or
    "Overpaid" when more came in than is owed."""
    if order.status == Order.Status.CANCELLED and order.payment_standing == Order.PaymentStanding.UNPAID:
        return None
    if order.payment_standing == Order.PaymentStanding.PAID and summary.overpaid:
        return ("paid", "Overpaid")
    return (order.payment_standing, order.get_payment_standing_display())


def _address_card(request, order: Order, address, *, title: str, same_as: str = "") -> dict:
    fix_url = ""
    if address is not None and request.user.has_perm("orders.change_address") and address_editable(address):
        fix_url = reverse("admin:orders_address_change", args=[address.pk]) + f"?order={order.pk}"
    return {
        "title": title,
        "lines": address.as_lines() if address is not None else [],
        "phone": address.phone if address is not None else "",
        "fix_url": fix_url,
        "same_as": same_as,
    }


def _check_text(check: OrderCheck) -> str:
    return f"{check.name} check: {check.detail}" if check.detail else f"{check.name} check failed"


def order_page_context(request, order: Order) -> dict:
    """The template's context for one order (a fixed number of queries; see the query-count test)."""
    record = order_record(order=order)
    money = order_payment_summary(order=order)
    context = TimelineContext(
        customer_name=order.customer.full_name,
        currency=order.currency,
        parcels={
            parcel.pk: Parcel(number=parcel.number, position=parcel.position, warehouse=parcel.warehouse.code)
            for parcel in record.parcels
        },
        invoices={invoice.pk: invoice.number or "" for invoice in money.invoices},
        payments={payment.pk: payment.amount for payment in money.payments},
        state_labels={**dict(Payment.Status.choices), **dict(Invoice.Status.choices)},
    )
    standing = payment_standing(money, order)
    refundable = order_refundable(order=order, payments=money.payments, invoices=money.invoices)
    held = order.status == Order.Status.ON_HOLD
    delivery = order.shipping_address
    billing_same = addresses_alike(delivery, order.billing_address)
    return {
        "record": record,
        "money": money,
        "timeline": timeline_entries(record.events, context=context),
        "status_badge": status_badge(order.status, order.get_status_display()),
        "payment_badge": status_badge(*standing) if standing else "",
        # Shipped what was in stock ahead: the back-ordered rest still to come (partial fulfilment).
        "rest_badge": status_badge(Order.Status.BACKORDERED, "Back-ordered rest to follow")
        if order.backorder_rest and order.status in (Order.Status.IN_FULFILLMENT, Order.Status.PARTIALLY_SHIPPED)
        else "",
        "hold_reasons": [_check_text(check) for check in record.failed_checks] if held else [],
        "addresses": [
            _address_card(request, order, delivery, title="Delivery address"),
            _address_card(
                request,
                order,
                order.billing_address,
                title="Billing address",
                same_as="the delivery address" if billing_same else "",
            ),
        ],
        "refund_url": reverse("admin:invoicing_refund_new", args=[order.pk])
        if refundable.amount > 0 and request.user.has_perm(REFUND_PERMISSION)
        else "",
        "refundable": refundable.amount,
        "refund_rows": [
            {
                "refund": refund,
                "url": reverse("admin:invoicing_refund_change", args=[refund.pk]),
                "badge": status_badge(refund.status, refund.get_status_display()),
            }
            for refund in money.refunds
        ],
        "invoice_rows": [
            {
                "invoice": invoice,
                "url": reverse("admin:invoicing_invoice_change", args=[invoice.pk]),
                "badge": status_badge(invoice.status, invoice.get_status_display()),
                "overdue": invoice_is_overdue(invoice),
            }
            for invoice in money.invoices
        ],
        "parcel_rows": [
            {
                "parcel": parcel,
                "url": reverse("admin:orders_shipment_change", args=[parcel.pk]),
                "badge": status_badge(parcel.status, parcel.get_status_display()),
                "tracking_url": parcel.tracking_url if parcel.tracking_url.startswith(("https://", "http://")) else "",
            }
            for parcel in record.parcels
        ],
        "check_rows": [
            {"check": check, "badge": status_badge(check.result, check.get_result_display())} for check in record.checks
        ]
        if request.user.has_perm("orders.view_ordercheck")
        else None,
        "open_return_url": reverse("admin:orders_returnrequest_open", args=[order.pk])
        if request.user.has_perm("orders.handle_returns")
        and any(parcel.status == parcel.Status.DELIVERED for parcel in record.parcels)
        else "",
        "edit_url": reverse("admin:orders_order_edit", args=[order.pk])
        if may_edit(request.user) and order.status in EDITABLE
        else "",
        "balance": order_balance(order=order),
        "versions": [
            {"version": version, "diff": order_version_diff(before=version.before, after=version.after)}
            for version in OrderVersion.objects.filter(order=order).order_by("-number")
        ],
        "comment_form": _comment_form(request, order),
        "comment_url": reverse("admin:orders_order_staff_comment", args=[order.pk]),
    }


def record_timeline(events, *, order: Order, parcels=(), invoices=(), payments=()) -> list:
    """A shipment's or invoice's part of the order's timeline, in the order page's sentences.
    `order` with its customer; `parcels` the order's shipments in the order they were made (for
    "parcel 2"), `invoices` and `payments` those the events may name."""
    context = TimelineContext(
        customer_name=order.customer.full_name,
        currency=order.currency,
        parcels={
            parcel.pk: Parcel(number=parcel.number, position=position, warehouse=parcel.warehouse.code)
            for position, parcel in enumerate(parcels, start=1)
        },
        invoices={invoice.pk: invoice.number or "" for invoice in invoices},
        payments={payment.pk: payment.amount for payment in payments},
        state_labels={**dict(Payment.Status.choices), **dict(Invoice.Status.choices)},
    )
    return timeline_entries(events, context=context)
