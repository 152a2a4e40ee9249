"""Returns (RMA), the order's side (issue 13, items 6-7): asking to send delivered goods back,
authorising or refusing it, and recording what arrived. The stock movements of a receipt and the
credit note and refund that follow are hand-offs (lifecycle.returns).

Rules: only delivered units, no more than were delivered less what other returns hold, within
RETURN_WINDOW_DAYS of the line's delivery (staff opening a return for a customer may go past it);
a reason from the list; store credit only for customers with a shop account; an IBAN given for a
refund by bank transfer must be a valid one. Every step is on the order's timeline and e-mailed.
"""

from django.db import transaction
from django.utils import timezone

from orders_site.core.bank import InvalidBankDetails, iban_compact
from orders_site.core.exceptions import ApplicationError, PermissionRefused

from ..events import event_return_requested
from ..locks import order_lock
from ..models import EmailNotification, Order, ReturnLine, ReturnRequest
from ..selectors.return_requests import returnable_lines
from .notifications import notification_queue
from .transitions import transition_run

PERMISSION = "orders.handle_returns"
MAX_COMMENT = 2000


def units_field(order_line_id: int) -> str:
    """The form field (and ApplicationError field) of one order line's units."""
    return f"line_{order_line_id}"


@transaction.atomic
def return_request_create(
    *,
    order: Order,
    units: dict[int, int],
    reason: str,
    comment: str = "",
    refund_to: str = ReturnRequest.RefundTo.ORIGINAL,
    iban: str = "",
    account_holder: str = "",
    actor=None,
    for_customer: bool = False,
) -> ReturnRequest:
    """Ask to send `units` ({order line id: units}) of a delivered order back.

    `actor` is the customer (whose order it is: the caller checks), or, with `for_customer`, staff
    opening it on the customer's behalf (orders.handle_returns; they may go past the window).
    Locks the order (orders.locks.order_lock). Queues the "return requested" e-mail. Raises
    PermissionRefused, and ApplicationError beside its field (`line_<id>`, "lines", "reason",
    "refund_to", "iban", "comment") before writing anything.
    """
    if for_customer and not (actor is not None and actor.is_staff and actor.has_perm(PERMISSION)):
        raise PermissionRefused("You are not allowed to open returns.")
    order = order_lock(order_id=order.pk)
    if reason not in ReturnRequest.Reason.values:
        raise ApplicationError("Choose why you send it back.", extra={"field": "reason"})
    if refund_to not in ReturnRequest.RefundTo.values:
        raise ApplicationError("Choose how you want the money back.", extra={"field": "refund_to"})
    if refund_to == ReturnRequest.RefundTo.STORE_CREDIT and order.customer.user_id is None:
        raise ApplicationError("Store credit needs a shop account.", extra={"field": "refund_to"})
    if refund_to == ReturnRequest.RefundTo.EXCHANGE and not for_customer:
        raise ApplicationError("Ask us for an exchange by phone or e-mail.", extra={"field": "refund_to"})
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ApplicationError(f"Keep the comment under {MAX_COMMENT} characters.", extra={"field": "comment"})
    if iban.strip():
        try:
            iban = iban_compact(iban)
        except InvalidBankDetails as error:
            raise ApplicationError(f"This is not a valid IBAN ({error}).", extra={"field": "iban"}) from error
    today = timezone.localdate()
    returnable = {r.line.pk: r for r in returnable_lines(order=order)}
    wanted = {line_id: quantity for line_id, quantity in units.items() if quantity}
    if not wanted:
        raise ApplicationError("Choose at least one item to send back.", extra={"field": "lines"})
    for line_id, quantity in wanted.items():
        entry = returnable.get(line_id)
        field = units_field(line_id)
        if entry is None:
            raise ApplicationError("That item was not delivered on this order.", extra={"field": field})
        if quantity < 0 or quantity > entry.left:
            raise ApplicationError(f"{entry.line.name}: at most {entry.left} can be sent back.", extra={"field": field})
        if not for_customer and not entry.open_on(today):
            raise ApplicationError(
                f"{entry.line.name}: the {entry.window_ends:%d %B %Y} deadline to return it has passed; "
                "please contact us.",
                extra={"field": field},
            )
    number = f"RMA-{order.number}-{order.return_requests.count() + 1}"
    return_request = ReturnRequest.objects.create(
        order=order,
        number=number,
        reason=reason,
        comment=comment,
        refund_to=refund_to,
        iban=iban,
        account_holder=account_holder.strip()[:200],
        requested_by=actor,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(request=return_request, order_line_id=line_id, quantity=quantity)
        for line_id, quantity in sorted(wanted.items())
    )
    items = ", ".join(f"{wanted[line_id]} × {returnable[line_id].line.name}" for line_id in sorted(wanted))
    event_return_requested(
        return_request=return_request,
        actor=actor,
        note=f"Return {number}: {items} ({return_request.get_reason_display().lower()})",
    )
    notification_queue(
        order=order, kind=EmailNotification.Kind.RETURN_REQUESTED, subject_key=f"return:{return_request.pk}"
    )
    return return_request


@transaction.atomic
def return_request_authorise(*, return_request: ReturnRequest, actor=None, expected_status: str | None = None):
    """Accept the return: the customer gets the RMA number, the instructions and a printable slip.
    The goods go back to the warehouse their parcel left from. Locks the order, then the return."""
    order_lock(order_id=return_request.order_id)
    parcel = (
        return_request.order.shipments.filter(lines__order_line__return_lines__request=return_request)
        .order_by("pk")
        .first()
    )
    return_request = transition_run(
        model=ReturnRequest,
        pk=return_request.pk,
        transition="authorise",
        actor=actor,
        expected_status=expected_status,
        fields={"authorised_at": timezone.now(), "warehouse_id": parcel.warehouse_id if parcel else None},
        note=f"Return {return_request.number}",
    )
    notification_queue(
        order=return_request.order,
        kind=EmailNotification.Kind.RETURN_AUTHORISED,
        subject_key=f"return:{return_request.pk}",
    )
    return return_request


@transaction.atomic
def return_request_refuse(
    *, return_request: ReturnRequest, reason: str, actor=None, expected_status: str | None = None
) -> ReturnRequest:
    """Refuse the return with a reason the customer reads; its units can be asked for again."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError("Say why the return is refused; the customer reads it.", extra={"field": "reason"})
    order_lock(order_id=return_request.order_id)
    return_request = transition_run(
        model=ReturnRequest,
        pk=return_request.pk,
        transition="refuse",
        actor=actor,
        expected_status=expected_status,
        fields={"refusal_reason": reason[:300]},
        note=reason[:300],
    )
    notification_queue(
        order=return_request.order,
        kind=EmailNotification.Kind.RETURN_REFUSED,
        subject_key=f"return:{return_request.pk}",
    )
    return return_request


def return_receipt_check(
    *, return_request: ReturnRequest, received: dict[int, tuple[int, int]], write_off_reason: str
) -> list[tuple[ReturnLine, int, int]]:
    """What arrived, per return line ({return line id: (restock, write off)}), checked: whole units,
    no more than were asked back, at least one unit, a reason for any write-off. Returns
    (line, restock, write off) for the lines that got something. Raises ApplicationError beside
    the field (`restock_<id>`, `write_off_<id>`, "write_off_reason", "lines")."""
    lines = list(return_request.lines.select_related("order_line__product").order_by("pk"))
    result = []
    for line in lines:
        restock, write_off = received.get(line.pk, (0, 0))
        if restock < 0 or write_off < 0 or restock + write_off > line.quantity:
            raise ApplicationError(
                f"{line.order_line.name}: {line.quantity} were sent back; restock and write off at most that many.",
                extra={"field": f"restock_{line.pk}"},
            )
        if restock or write_off:
            result.append((line, restock, write_off))
    if not result:
        raise ApplicationError("Enter what arrived: at least one unit.", extra={"field": "lines"})
    if any(write_off for _, _, write_off in result) and not write_off_reason.strip():
        raise ApplicationError("Say why units are written off.", extra={"field": "write_off_reason"})
    return result


def return_receipt_record(
    *, return_request: ReturnRequest, counted: list[tuple[ReturnLine, int, int]], write_off_reason: str, actor=None
) -> ReturnRequest:
    """Write down what arrived (after return_receipt_check, holding the order; the stock
    movements are the caller's: lifecycle.returns) and move the return to "received"."""
    for line, restock, write_off in counted:
        line.restocked, line.written_off = restock, write_off
        line.write_off_reason = write_off_reason.strip()[:200] if write_off else ""
    ReturnLine.objects.bulk_update([line for line, _, _ in counted], ["restocked", "written_off", "write_off_reason"])
    units = sum(restock + write_off for _, restock, write_off in counted)
    written_off = sum(write_off for _, _, write_off in counted)
    note = f"{units} unit{'s' if units != 1 else ''} received"
    if written_off:
        note += f", {written_off} written off ({write_off_reason.strip()})"
    return_request = transition_run(
        model=ReturnRequest,
        pk=return_request.pk,
        transition="receive",
        actor=actor,
        fields={"received_at": timezone.now()},
        note=note,
        data={"units": units, "written_off": written_off},
    )
    notification_queue(
        order=return_request.order,
        kind=EmailNotification.Kind.RETURN_RECEIVED,
        subject_key=f"return:{return_request.pk}",
    )
    return return_request


def return_request_close(
    *, return_request: ReturnRequest, credit_note_number: str, note: str, actor=None, replacement=None
) -> ReturnRequest:
    """The return is credited (and refunded when it was paid; for an exchange, `replacement` is the
    draft replacement order): the last step, holding the order."""
    return transition_run(
        model=ReturnRequest,
        pk=return_request.pk,
        transition="close",
        actor=actor,
        fields={"closed_at": timezone.now(), "credit_note_number": credit_note_number, "replacement": replacement},
        note=note,
    )
