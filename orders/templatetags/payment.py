"""What a customer needs to pay by bank transfer, for every page, e-mail and PDF that asks for it.

    {% load payment %}
    {% bank_transfer order amount_due as transfer %}
    {% if transfer %}... {{ transfer.holder }} {{ transfer.iban }} {{ transfer.bic }}
    {{ transfer.amount }} {{ transfer.reference }} ...{% endif %}

One rule decides whether the instructions show: a bank-transfer order with a reference and a
balance still owed. Card and cash orders, and paid or cancelled ones (amount due 0), get None.
"""

from decimal import Decimal

from django import template
from django.conf import settings

from ..models import Order
from ..payment_reference import reference_grouped

register = template.Library()


def _grouped(text: str) -> str:
    return reference_grouped(text.upper())


@register.simple_tag
def bank_transfer(order: Order, amount_due) -> dict | None:
    if order.payment_method != Order.PaymentMethod.BANK_TRANSFER or not order.payment_reference:
        return None
    if amount_due is None or Decimal(amount_due) <= 0:
        return None
    return {
        "holder": settings.SHOP_ACCOUNT_HOLDER,
        "iban": _grouped(settings.SHOP_IBAN),
        "bic": settings.SHOP_BIC.replace(" ", "").upper(),
        "amount": Decimal(amount_due),
        "currency": order.currency,
        "reference": reference_grouped(order.payment_reference),
    }


@register.filter
def grouped_in_fours(reference: str) -> str:
    return reference_grouped(reference or "")
