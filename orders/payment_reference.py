"""Structured payment references: ISO 11649 "RF" creditor references, pure functions.

Written out rather than taken from python-stdnum: the whole algorithm is the ISO 7064 mod 97-10
check below (the same arithmetic as an IBAN's), and a dependency for a dozen lines is not worth it.
"""

import string

_ALPHANUMERIC = set(string.digits + string.ascii_uppercase)


def _as_digits(text: str) -> int:
    """Letters count as two digits, A=10 ... Z=35 (ISO 7064)."""
    return int("".join(str(int(char, 36)) for char in text))


def mod97_check(text: str) -> bool:
    """True when `text` (an RF reference or an IBAN, spaces allowed) is valid under ISO 7064 mod 97-10:
    the first four characters moved to the end, read as a number, leave remainder 1 when divided by 97."""
    compact = text.replace(" ", "").upper()
    if len(compact) < 5 or not set(compact) <= _ALPHANUMERIC:
        return False
    return _as_digits(compact[4:] + compact[:4]) % 97 == 1


def rf_reference(number: str) -> str:
    """The ISO 11649 creditor reference for an order number: RF, two check digits, then the number.

    >>> rf_reference("100001")
    'RF69100001'
    """
    body = str(number).replace(" ", "").upper()
    if not body or len(body) > 21 or not set(body) <= _ALPHANUMERIC:
        raise ValueError(f"Not usable in an RF reference: {number!r} (1 to 21 letters or digits)")
    check = 98 - _as_digits(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def reference_grouped(reference: str) -> str:
    """For reading aloud or typing: groups of four, "RF69 1000 01"."""
    compact = reference.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
