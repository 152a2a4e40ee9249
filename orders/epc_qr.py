"""The EPC QR code ("GiroCode", EPC069-12 version 002): a SEPA credit transfer a banking app fills
in from a scan, printed beside bank-transfer instructions on the invoice and the order pages.

The payload is twelve lines of text (LF-separated, UTF-8, at most 331 bytes): service tag "BCD",
version "002", character set "1" (UTF-8), identification "SCT", the beneficiary's BIC (optional in
version 002), name (at most 70 characters), IBAN, the amount as "EUR" + up to 999999999.99 with a
point, a purpose code (empty here), then either a structured creditor reference (ISO 11649 RF, at
most 35) or unstructured remittance text (at most 140), never both, and a note to the payer
(at most 70). Trailing empty lines are left off. Only euro transfers can be encoded.
"""

from decimal import Decimal

import segno

MAX_AMOUNT = Decimal("999999999.99")
MAX_BYTES = 331


def epc_qr_payload(
    *,
    name: str,
    iban: str,
    amount: Decimal,
    currency: str = "EUR",
    bic: str = "",
    reference: str = "",
    text: str = "",
    note: str = "",
) -> str:
    """The payload for one transfer. Raises ValueError for what the standard does not allow: a
    currency other than the euro, an amount outside 0.01-999,999,999.99, a name, reference, text
    or note too long, a reference and a text together, a payload over 331 bytes."""
    if currency != "EUR":
        raise ValueError("An EPC QR code can only ask for euros.")
    amount = Decimal(amount).quantize(Decimal("0.01"))
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise ValueError(f"An EPC QR code asks for 0.01 to {MAX_AMOUNT} euros, not {amount}.")
    name, reference, text, note = (value.strip() for value in (name, reference, text, note))
    reference = reference.replace(" ", "").upper()
    for label, value, limit in (("name", name, 70), ("reference", reference, 35), ("text", text, 140)):
        if len(value) > limit:
            raise ValueError(f"The {label} of an EPC QR code has at most {limit} characters.")
    if len(note) > 70:
        raise ValueError("The note of an EPC QR code has at most 70 characters.")
    if not name:
        raise ValueError("An EPC QR code needs the beneficiary's name.")
    if reference and text:
        raise ValueError("An EPC QR code carries a structured reference or a text, not both.")
    lines = [
        "BCD",
        "002",
        "1",
        "SCT",
        bic.replace(" ", "").upper(),
        name,
        iban.replace(" ", "").upper(),
        f"EUR{amount}",
        "",  # purpose
        reference,
        text,
        note,
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"An EPC QR code holds at most {MAX_BYTES} bytes.")
    return payload


def epc_qr_svg(payload: str, *, title: str = "Scan to pay") -> str:
    """The payload as an inline SVG QR code, error correction level M as the standard asks."""
    code = segno.make(payload, error="m", boost_error=False, encoding="utf-8", micro=False)
    return code.svg_inline(scale=3, title=title)
