"""What a customer needs to pay by bank transfer, for every page, e-mail and PDF that asks for it.

    {% load payment %}
    {% bank_transfer order amount_due as transfer %}
    {% if transfer %}... {{ transfer.holder }} {{ transfer.iban }} {{ transfer.bic }}
    {{ transfer.amount }} {{ transfer.reference }} {{ transfer.qr_svg|safe }}...{% endif %}

A text e-mail, which cannot show the QR code, asks without it: `{% bank_transfer order amount qr=False
as transfer %}` (drawing the code was half of the order e-mail's cost).

The rule of when they show lives in orders.selectors.bank_transfer_instructions.
"""

from django import template

from ..payment_reference import reference_grouped
from ..selectors import bank_transfer_instructions

register = template.Library()


@register.simple_tag
def bank_transfer(order, amount_due, qr=True) -> dict | None:
    return bank_transfer_instructions(order=order, amount_due=amount_due, qr=qr)


@register.filter
def grouped_in_fours(reference: str) -> str:
    return reference_grouped(reference or "")
