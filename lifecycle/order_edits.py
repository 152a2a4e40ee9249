"""An edit of a placed order with its money: orders.services.order_edits.order_edit changes the
order; this settles the difference with what the customer paid or had authorised (invoicing)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from invoicing.selectors import order_balance
from invoicing.services import card_holds_released_on_failure, payment_authorize
from invoicing.services.owed_back import amount_owed_back_record
from orders.models import Order
from orders.services.order_edits import EditResult, order_edit
from orders_site.core.money import ZERO


@dataclass(frozen=True)
class EditSettlement:
    edit: EditResult
    topped_up: Decimal  # authorised on the card now
    due_more: Decimal  # still to pay after that (no card given, or not paid by card)
    owed_back: Decimal  # recorded as owed back by this edit

    @property
    def message(self) -> str:
        text = f"Order {self.edit.order.number} saved as version {self.edit.version.number}."
        if self.topped_up:
            text += f" {self.topped_up} more was authorised on the card."
        if self.due_more:
            text += f" The customer still has {self.due_more} to pay."
        if self.owed_back:
            text += f" {self.owed_back} is owed back to the customer (queue “Owed back to customers”)."
        return text


@card_holds_released_on_failure
@transaction.atomic
def order_edit_settle(*, card_token: str = "", **edit) -> EditSettlement:
    """order_edit (same keyword arguments), then the balance in the same transaction:

    - a card order whose payments no longer cover the new total: the difference is authorised on
      the card through the gateway when `card_token` is given (a top-up hold next to the first);
      without one it stays "due more" on the order page;
    - paid or authorised beyond the new total: an AmountOwedBack row for the excess (the
      refund service of issue 13 will pay it out).

    Locks what order_edit locks. Raises what order_edit raises and PaymentDeclined (on the
    card_token field) before the transaction commits: the whole edit rolls back, and a hold taken
    is released (card_holds_released_on_failure).
    """
    result = order_edit(**edit)
    order = result.order
    balance = order_balance(order=order)
    topped_up = owed = ZERO
    if balance.due_more and card_token.strip() and order.payment_method == Order.PaymentMethod.CARD:
        payment_authorize(order=order, card_token=card_token, amount=balance.due_more)
        topped_up = balance.due_more
    if balance.uncovered_refund:
        owed = balance.uncovered_refund
        amount_owed_back_record(
            order=order,
            amount=owed,
            order_version=result.version.number,
            reason=f"Version {result.version.number}: {result.version.reason}",
        )
    return EditSettlement(edit=result, topped_up=topped_up, due_more=balance.due_more - topped_up, owed_back=owed)
