"""Start-up checks of the merchant's bank details: a mistyped IBAN would send every transfer astray."""

from django.conf import settings
from django.core.checks import Error, register

from orders_site.core.bank import InvalidBankDetails, bic_valid, iban_compact


def iban_valid(iban: str) -> bool:
    try:
        iban_compact(iban)
    except InvalidBankDetails:
        return False
    return True


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
    if not bic_valid(settings.SHOP_BIC):
        errors.append(
            Error(f"SHOP_BIC {settings.SHOP_BIC!r} is not a BIC (8 or 11 letters and digits).", id="orders.E002")
        )
    return errors
