"""One way to write an amount, a rate, a currency, a count and a day in a list for people:
`€ 1,592.30`, `21 %`, `1 unit` / `3 units`, `2–3 working days`, `10 Dec`.

The storefront, the console, e-mails and PDFs all use these (templates through the `formatting`
tags), so a figure reads the same wherever it is shown.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format

CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF", "SEK": "kr", "DKK": "kr", "NOK": "kr"}
NBSP = "\u00a0"


def currency_symbol(currency: str | None = None) -> str:
    code = currency or settings.CURRENCY
    return CURRENCY_SYMBOLS.get(code, code)


def money_display(amount, currency: str | None = None) -> str:
    """`€ 1,592.30` (a no-break space after the symbol); a negative amount as `−€ 12.00`."""
    if amount is None or amount == "":
        return ""
    value = Decimal(amount)
    sign = "\u2212" if value < 0 else ""
    return f"{sign}{currency_symbol(currency)}{NBSP}{floatformat(abs(value), '2g')}"


def rate_display(rate) -> str:
    """A rate stored as a fraction (0.21) as people write it: `21 %`, `5.5 %`, `0 %`."""
    if rate is None or rate == "":
        return ""
    percent = (Decimal(rate) * 100).quantize(Decimal("0.01")).normalize()
    return f"{percent:f}{NBSP}%"


def count_display(count: int, singular: str, plural: str = "") -> str:
    """`1 unit`, `3 units`, `0 units`: a count with its noun in the right number, never `unit(s)`.
    `plural` for nouns that do not just take an s (`count_display(2, "delivery", "deliveries")`)."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def range_display(low: int, high: int, singular: str, plural: str = "") -> str:
    """`1 working day`, `3 working days`, `2–3 working days` (an en dash between the bounds)."""
    if low == high:
        return count_display(high, singular, plural)
    return f"{low}\u2013{high} {plural or singular + 's'}"


def day_display(day: date, *, today: date | None = None) -> str:
    """A day in a list column: `10 Dec` in the current year, `10 Dec 2025` in any other (the year
    only where it tells something, so the column stays narrow)."""
    today = today or timezone.localdate()
    return date_format(day, "j M" if day.year == today.year else "j M Y")
