"""Start-up checks of the merchant's bank details: a mistyped IBAN would send every transfer astray."""

import re

from django.conf import settings
from django.core.checks import Error, register

from .payment_reference import mod97_check

IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
BIC_SHAPE = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    return bool(IBAN_SHAPE.match(compact)) and mod97_check(compact)


@register()
def shop_bank_details_check(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    if not iban_valid(settings.SHOP_IBAN):
        errors.append(
            Error(
                f"SHOP_IBAN {settings.SHOP_IBAN!r} is not a valid IBAN (shape or check digits).",
                hint="Copy the IBAN from the bank statement; spaces are allowed.",
                id="orders.E001",
            )
        )
    if not BIC_SHAPE.match(settings.SHOP_BIC.replace(" ", "").upper()):
        errors.append(
            Error(f"SHOP_BIC {settings.SHOP_BIC!r} is not a BIC (8 or 11 letters and digits).", id="orders.E002")
        )
    return errors
