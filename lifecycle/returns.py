"""Returned goods arrive -> they go back on the shelf (or are written off) -> the invoice is credited
for what arrived and the money goes back (issue 13, items 6-7). The order's side of a return is
orders.services.return_requests; this runs the hand-offs to inventory and invoicing."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from inventory.locks import stock_levels_lock
from inventory.models import StockLevel, Warehouse
from inventory.services import stock_write_off
from invoicing.models import AmountOwedBack, Invoice, Refund
from invoicing.selectors import invoice_lines_by_order_line
from invoicing.services import order_refundable, refund_create
from orders.locks import order_lock
from orders.models import Order, ReturnLine, ReturnRequest, Shipment, ShipmentLine
from orders.services import return_requests as returns
from orders.services.placement import AddressData, LineRequest
from orders.services.quotes import QuoteRequest, quote_save_draft
from orders_site.core.exceptions import ApplicationError, TransitionRefused

from .credit_notes import credit_note_issue
from .receiving import stock_return


@transaction.atomic
def return_request_receive(
    *,
    return_request: ReturnRequest,
    received: dict[int, tuple[int, int]],
    warehouse: Warehouse | None = None,
    write_off_reason: str = "",
    actor=None,
) -> ReturnRequest:
    """What arrived, per return line ({line id: (restock, write off)}): restocked units go back on
    the shelf of `warehouse` (default: the one it was sent back to) as a `return` movement, and
    waiting back-orders get them (lifecycle.receiving); written-off units come in as a return and
    leave again as a write-off with the reason, so the ledger shows both.

    Locks: the order, the return (transition core), then the stock levels of the returned products
    in pk order. Raises PermissionRefused / TransitionRefused, ApplicationError beside the field.
    """
    order_lock(order_id=return_request.order_id)
    return_request = ReturnRequest.objects.select_related("order", "warehouse").get(pk=return_request.pk)
    if return_request.status != ReturnRequest.Status.AUTHORISED:
        raise TransitionRefused(
            f"Return {return_request.number} is {return_request.get_status_display().lower()}; "
            "only an authorised return is received."
        )
    warehouse = warehouse or return_request.warehouse or Warehouse.objects.filter(is_active=True).first()
    counted = returns.return_receipt_check(
        return_request=return_request, received=received, write_off_reason=write_off_reason
    )
    # The transition first: it checks the person may receive returns before any stock moves.
    return_request = returns.return_receipt_record(
        return_request=return_request, counted=counted, write_off_reason=write_off_reason, actor=actor
    )
    stocked = [(line, restock, write_off) for line, restock, write_off in counted if line.order_line.product_id]
    stock_levels_lock(product_ids={line.order_line.product_id for line, _, _ in stocked})
    reference = return_request.number
    for line, restock, write_off in stocked:
        stock_return(
            product=line.order_line.product,
            warehouse=warehouse,
            quantity=restock + write_off,
            reason=f"Return {reference}",
            reference=return_request.order.number,
            actor=actor,
        )
        if write_off:
            level = StockLevel.objects.get(product=line.order_line.product, warehouse=warehouse)
            stock_write_off(
                stock_level=level,
                quantity=write_off,
                reason=f"Return {reference}: {write_off_reason.strip()}",
                reference=return_request.order.number,
                actor=actor,
            )
    return return_request


@transaction.atomic
def return_request_refund(
    *, return_request: ReturnRequest, actor=None, iban: str = "", account_holder: str = ""
) -> ReturnRequest:
    """Credit the invoice for what arrived (a credit note per unit at the price invoiced, and the
    delivery fee by RETURN_CREDITS_DELIVERY_FEE), and pay back what that leaves owed: as store
    credit when the customer chose it, else the way they paid (the card; a bank transfer to
    `iban` or the IBAN given with the return). An invoice not paid yet just owes less.

    Locks: the order, the return, the invoice and its counter (the credit note), the payments
    (the refund). Queues the credit note's PDF and e-mail and the card refund. Raises
    ApplicationError (field "iban" when a bank transfer needs one), TransitionRefused.
    """
    order = order_lock(order_id=return_request.order_id)
    return_request = ReturnRequest.objects.get(pk=return_request.pk)
    if return_request.status != ReturnRequest.Status.RECEIVED:
        raise TransitionRefused(
            f"Return {return_request.number} is {return_request.get_status_display().lower()}; "
            "only a received return is credited."
        )
    invoice = Invoice.objects.filter(order=order).exclude(number=None).order_by("pk").first()
    if invoice is None:
        raise ApplicationError(f"Order {order.number} has no invoice to credit yet.")
    lines = list(return_request.lines.select_related("order_line").order_by("pk"))
    units = _invoice_units(invoice, lines)
    credit_note = credit_note_issue(
        invoice=invoice,
        reason=f"Return {return_request.number}: {return_request.get_reason_display().lower()}",
        units=units,
        include_shipping=_credits_delivery_fee(return_request, invoice),
        actor=actor,
    )
    note = f"Credit note {credit_note.number}"
    owed = AmountOwedBack.objects.filter(credit_note=credit_note).first()
    if owed is not None:
        refunds = _refund(return_request, order, owed, actor=actor, iban=iban, account_holder=account_holder)
        note += f"; refund of {sum((r.amount for r in refunds), Decimal(0))} {refunds[0].get_method_display().lower()}"
    replacement = None
    if return_request.refund_to == ReturnRequest.RefundTo.EXCHANGE:
        replacement = _replacement_draft(return_request, order, lines, actor=actor)
        note += f"; replacement draft {replacement.number} for the order desk"
    return returns.return_request_close(
        return_request=return_request,
        credit_note_number=credit_note.number,
        note=note,
        actor=actor,
        replacement=replacement,
    )


def _replacement_draft(return_request, order, lines, *, actor):
    """An exchange: the same products again, as a draft at the order desk for the same customer
    (today's prices, paid with the store credit the return gave, the rest the usual way)."""
    products = [(line.order_line.product_id, line.received) for line in lines if line.order_line.product_id]
    return quote_save_draft(
        request=QuoteRequest(
            customer=order.customer,
            lines=[LineRequest(product_id=product_id, quantity=quantity) for product_id, quantity in products],
            channel=Order.Channel.PHONE,
            delivery_method=order.delivery_method,
            payment_method=order.payment_method,
            billing_address=AddressData.from_address(order.billing_address),
            shipping_address=AddressData.from_address(order.shipping_address) if order.shipping_address else None,
            received_message=f"Exchange for return {return_request.number} of order {order.number}",
        ),
        actor=actor,
        idempotency_key=f"exchange-{return_request.number}",
    )


def _invoice_units(invoice: Invoice, lines: list[ReturnLine]) -> dict[int, int]:
    """{invoice line id: units} for what arrived (each invoice line names the order line it bills)."""
    by_order_line = invoice_lines_by_order_line(invoice=invoice)
    return {by_order_line[line.order_line_id]: line.received for line in lines if line.received}


def _credits_delivery_fee(return_request: ReturnRequest, invoice: Invoice) -> bool:
    rule = settings.RETURN_CREDITS_DELIVERY_FEE
    if rule == "never" or not invoice.shipping_total:
        return False
    if rule == "always":
        return True
    # "all": this return completes the return of everything delivered.
    delivered = (
        ShipmentLine.objects.filter(
            shipment__order_id=invoice.order_id, shipment__status=Shipment.Status.DELIVERED
        ).aggregate(s=Sum("quantity"))["s"]
        or 0
    )
    returned = (
        ReturnLine.objects.filter(request__order_id=invoice.order_id)
        .exclude(request__status=ReturnRequest.Status.REFUSED)
        .aggregate(restocked=Sum("restocked"), written_off=Sum("written_off"))
    )
    return (returned["restocked"] or 0) + (returned["written_off"] or 0) >= delivered > 0


def _refund(return_request, order, owed, *, actor, iban, account_holder) -> list[Refund]:
    reason = f"Return {return_request.number}"
    if return_request.refund_to in (ReturnRequest.RefundTo.STORE_CREDIT, ReturnRequest.RefundTo.EXCHANGE):
        method = Refund.Method.STORE_CREDIT
    elif order_refundable(order=order).by_card >= owed.amount:
        method = Refund.Method.CARD
    else:
        method = Refund.Method.BANK_TRANSFER
        iban = iban or return_request.iban
        account_holder = account_holder or return_request.account_holder or order.customer.full_name
        if not iban:
            raise ApplicationError(
                f"Order {order.number} was not paid by card: enter the customer's IBAN to pay the refund back.",
                extra={"field": "iban"},
            )
    return refund_create(
        order=order,
        amount=owed.amount,
        method=method,
        reason=reason,
        iban=iban,
        account_holder=account_holder,
        owed_back=owed,
        actor=actor,
        for_staff_order=return_request.refund_to == ReturnRequest.RefundTo.EXCHANGE,
    )
