"""Bank statements as files: CAMT.053 (ISO 20022 "BankToCustomerStatement", versions 02 and 08) and
a plain CSV, read into one shape. Pure functions: bytes in, a ParsedStatement out, or BankFileRefused
naming the line or entry that is wrong. Nothing is written here (lifecycle.bank_statements records).

Only credits (money in) are kept; debits in a CAMT statement (money the shop paid out) are counted
and left alone. CSV columns: date, amount, currency, counterparty, iban, remittance (header row,
any order, any case; an optional "id" column gives each line the bank's own entry id).
"""

import csv
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

CAMT_NAMESPACES = (
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02",
    "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08",
)
CSV_COLUMNS = ("date", "amount", "currency", "counterparty", "iban", "remittance")
MAX_BYTES = 20 * 1024 * 1024
RF_PATTERN = re.compile(r"\bRF\s?\d{2}(?:\s?[0-9A-Z]){1,21}\b", re.IGNORECASE)


class BankFileRefused(ValueError):
    """The file cannot be imported; the message says where and why (shown beside the upload)."""


@dataclass(frozen=True)
class ParsedEntry:
    entry_ref: str  # the bank's id of the entry, unique per account; made from the file when absent
    booked_on: date
    amount: Decimal  # positive: money received
    currency: str
    counterparty: str
    iban: str
    remittance: str
    reference: str  # a structured creditor reference (RF...), when the bank gave one
    where: str  # "line 4", "entry 3": for messages


@dataclass(frozen=True)
class ParsedStatement:
    source: str  # "camt053" or "csv"
    statement_id: str
    account_iban: str
    entries: list[ParsedEntry] = field(default_factory=list)
    debits_skipped: int = 0


def statement_parse(*, name: str, content: bytes, currencies: set[str]) -> ParsedStatement:
    """Read a statement file as CAMT.053 (XML) or CSV, by its content. `currencies`: what the shop
    takes; another currency is refused, naming the entry. Raises BankFileRefused."""
    if not content:
        raise BankFileRefused("The file is empty.")
    if len(content) > MAX_BYTES:
        raise BankFileRefused(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split the statement.")
    head = content.lstrip()[:100]
    if head.startswith(b"<"):
        statement = _camt053(content)
    elif name.lower().endswith(".xml"):
        raise BankFileRefused("This is not XML: a CAMT.053 statement starts with “<?xml” or “<Document”.")
    else:
        statement = _csv(content)
    for entry in statement.entries:
        if entry.currency not in currencies:
            raise BankFileRefused(
                f"{entry.where.capitalize()}: {entry.currency} is not a currency this shop takes "
                f"({', '.join(sorted(currencies))})."
            )
    if not statement.entries:
        raise BankFileRefused("The statement holds no money received: nothing to import.")
    return statement


def rf_references_in(text: str) -> list[str]:
    """RF creditor references written in a remittance text, compacted ("RF18 5390 0754 7034" ->
    "RF18539007547034"); their check digits are not checked here."""
    return [match.replace(" ", "").upper() for match in RF_PATTERN.findall(text or "")]


# -- CAMT.053 ------------------------------------------------------------------------------------------


def _camt053(content: bytes) -> ParsedStatement:
    try:
        root = ET.fromstring(content)
    except ET.ParseError as error:
        raise BankFileRefused(f"This is not well-formed XML ({error}).") from error
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace not in CAMT_NAMESPACES:
        raise BankFileRefused(
            f"This XML is not a CAMT.053 statement (namespace “{namespace or 'none'}”; expected "
            "camt.053.001.02 or camt.053.001.08)."
        )
    ns = {"c": namespace}
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", ns)
    if len(statements) != 1:
        raise BankFileRefused(f"The file holds {len(statements)} statements; import them one file each.")
    stmt = statements[0]
    statement_id = _text(stmt, "c:Id", ns)
    if not statement_id:
        raise BankFileRefused("The statement has no Id (Stmt/Id).")
    account_iban = _text(stmt, "c:Acct/c:Id/c:IBAN", ns).replace(" ", "").upper()
    entries, debits = [], 0
    for index, ntry in enumerate(stmt.findall("c:Ntry", ns), start=1):
        where = f"entry {index}"
        indicator = _text(ntry, "c:CdtDbtInd", ns)
        if indicator == "DBIT":
            debits += 1
            continue
        if indicator != "CRDT":
            raise BankFileRefused(f"Entry {index}: CdtDbtInd is “{indicator}”, not CRDT or DBIT.")
        amount_node = ntry.find("c:Amt", ns)
        amount = _amount(amount_node.text if amount_node is not None else "", where)
        if amount <= 0:
            raise BankFileRefused(f"Entry {index}: a credit of {amount} — a credit must be above zero.")
        booked = _text(ntry, "c:BookgDt/c:Dt", ns) or _text(ntry, "c:BookgDt/c:DtTm", ns)[:10]
        tx = ntry.find("c:NtryDtls/c:TxDtls", ns)
        tx = tx if tx is not None else ET.Element("none")
        counterparty = (
            _text(tx, "c:RltdPties/c:Dbtr/c:Nm", ns)  # version 02
            or _text(tx, "c:RltdPties/c:Dbtr/c:Pty/c:Nm", ns)  # version 08
        )
        reference = _text(tx, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", ns).replace(" ", "").upper()
        remittance = " ".join(node.text.strip() for node in tx.findall("c:RmtInf/c:Ustrd", ns) if node.text)
        entry_ref = (
            _text(ntry, "c:AcctSvcrRef", ns)
            or _text(ntry, "c:NtryRef", ns)
            or _text(tx, "c:Refs/c:AcctSvcrRef", ns)
            or f"{statement_id}/{index}"
        )
        entries.append(
            ParsedEntry(
                entry_ref=entry_ref[:100],
                booked_on=_date(booked, where),
                amount=amount,
                currency=(amount_node.get("Ccy") or "").upper(),
                counterparty=counterparty[:200],
                iban=_text(tx, "c:RltdPties/c:DbtrAcct/c:Id/c:IBAN", ns).replace(" ", "").upper()[:34],
                remittance=remittance[:500],
                reference=reference[:35],
                where=where,
            )
        )
    return ParsedStatement(
        source="camt053",
        statement_id=statement_id[:100],
        account_iban=account_iban,
        entries=entries,
        debits_skipped=debits,
    )


def _text(node, path: str, ns: dict) -> str:
    found = node.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


# -- CSV -----------------------------------------------------------------------------------------------


def _csv(content: bytes) -> ParsedStatement:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BankFileRefused("The CSV is not UTF-8 text; export it from the bank as UTF-8.") from error
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [column.strip().lower() for column in next(reader, [])]
    missing = [column for column in CSV_COLUMNS if column not in header]
    if missing:
        raise BankFileRefused(
            f"Line 1: the CSV has no column {', '.join(f'“{m}”' for m in missing)} (it needs {', '.join(CSV_COLUMNS)})."
        )
    position = {column: header.index(column) for column in header}
    statement_id = "csv-" + hashlib.sha256(content).hexdigest()[:32]
    entries = []
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"line {line_number}"
        if len(row) < len(header):
            raise BankFileRefused(f"Line {line_number}: {len(row)} columns where the header has {len(header)}.")

        def cell(column: str, row=row) -> str:
            return row[position[column]].strip()

        amount = _amount(cell("amount"), where)
        if amount <= 0:
            raise BankFileRefused(
                f"Line {line_number}: the amount {amount} is not money received; only credits (above zero) "
                "can be imported."
            )
        remittance = cell("remittance")
        entries.append(
            ParsedEntry(
                entry_ref=(cell("id") if "id" in position and cell("id") else f"{statement_id}/{line_number}")[:100],
                booked_on=_date(cell("date"), where),
                amount=amount,
                currency=cell("currency").upper(),
                counterparty=cell("counterparty")[:200],
                iban=cell("iban").replace(" ", "").upper()[:34],
                remittance=remittance[:500],
                reference="",
                where=where,
            )
        )
    return ParsedStatement(source="csv", statement_id=statement_id, account_iban="", entries=entries)


# -- values --------------------------------------------------------------------------------------------


def _amount(text: str, where: str) -> Decimal:
    cleaned = (text or "").strip().replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # 12,50 as many banks write it
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise BankFileRefused(f"{where.capitalize()}: “{text}” is not an amount.") from error
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise BankFileRefused(f"{where.capitalize()}: “{text}” is not an amount in cents.")
    return amount.quantize(Decimal("0.01"))


def _date(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError as error:
        raise BankFileRefused(f"{where.capitalize()}: “{text}” is not a date (YYYY-MM-DD).") from error
