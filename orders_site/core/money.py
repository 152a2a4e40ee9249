from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value) -> Decimal:
    """Round to cents, half-up, as every amount the customer sees is rounded."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
