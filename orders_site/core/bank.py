"""Bank account numbers, read one way everywhere (the shop's own account, a customer's for a
refund): schwifty checks the country's length and format and the check digits, which a shape
and mod-97 alone do not."""

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


class InvalidBankDetails(ValueError):
    pass


def iban_compact(value: str) -> str:
    """The IBAN without spaces, upper case. Raises InvalidBankDetails saying what is wrong."""
    try:
        return IBAN(value).compact
    except SchwiftyException as error:
        raise InvalidBankDetails(str(error).rstrip(".").lower()) from error


def iban_formatted(value: str) -> str:
    """In groups of four, as it is printed: `NL91 ABNA 0417 1643 00`."""
    return IBAN(value).formatted


def bic_valid(value: str) -> bool:
    try:
        BIC(value.replace(" ", ""))
    except SchwiftyException:
        return False
    return True
