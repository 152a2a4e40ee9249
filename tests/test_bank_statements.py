"""Bank statements imported (issue 14, item 4): credits matched to open invoices by RF reference, by
invoice or order number in the text, then by exact amount and customer; payments recorded; the rest
waits for staff; the same file twice records nothing twice; bad files are refused whole."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from invoicing.bank_files import BankFileRefused
from invoicing.models import BankStatement, BankStatementEntry, Invoice, Payment
from lifecycle.bank_statements import bank_entry_dismiss, bank_entry_match, bank_statement_import
from orders.models import Order
from orders.payment_reference import reference_grouped
from orders_site.core.exceptions import ApplicationError, PermissionRefused
from tests.builders import customer_build, order_build, staff_member

pytestmark = pytest.mark.django_db

V02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
V08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def ntry(
    amount,
    *,
    ref="",
    text="",
    name="A. Customer",
    iban="NL02RABO0123456789",
    indicator="CRDT",
    entry_id="",
    currency="EUR",
    version=V02,
) -> str:
    """One <Ntry> as banks write it (the debtor's name sits one level deeper in version 08)."""
    debtor = f"<Dbtr><Nm>{name}</Nm></Dbtr>" if version == V02 else f"<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>"
    remittance = (
        f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>{ref}</Ref></CdtrRefInf></Strd>"
        if ref
        else f"<Ustrd>{text}</Ustrd>"
    )
    return f"""
      <Ntry>
        {f"<NtryRef>{entry_id}</NtryRef>" if entry_id else ""}
        <Amt Ccy="{currency}">{amount}</Amt>
        <CdtDbtInd>{indicator}</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>2026-12-01</Dt></BookgDt>
        <ValDt><Dt>2026-12-01</Dt></ValDt>
        <NtryDtls><TxDtls>
          <RltdPties>{debtor}<DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf>{remittance}</RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def camt053(*entries: str, statement_id="STMT-2026-12-01", version=V02) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{version}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-12-01T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-12-01T18:00:00</CreDtTm>
      <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def invoiced(catalogue, **fields) -> Invoice:
    return order_build(state="invoiced", lines=[(catalogue.book, 1)], **fields).invoices.get()


def test_a_camt053_statement_pays_what_it_can_match_and_a_second_import_changes_nothing(catalogue):
    accounts = staff_member("Customer service")
    by_ref, by_number, partly, over = (invoiced(catalogue) for _ in range(4))
    statement = camt053(
        ntry(by_ref.total, ref=by_ref.order.payment_reference, entry_id="E1"),
        ntry(by_number.total, text=f"Payment for invoice {by_number.number.lower()}, thank you", entry_id="E2"),
        ntry(Decimal("10.00"), text=f"Part payment {reference_grouped(partly.order.payment_reference)}", entry_id="E3"),
        ntry(over.total + Decimal("7.50"), ref=over.order.payment_reference, entry_id="E4"),
        ntry(Decimal("12.34"), text="Birthday money", name="Aunt Mary", entry_id="E5"),
        ntry(Decimal("99.00"), indicator="DBIT", text="Rent", entry_id="E6"),
    )

    imported = bank_statement_import(name="december.xml", content=statement, actor=accounts)

    assert (imported.matched, imported.to_match, imported.known_before, imported.debits_skipped) == (4, 1, 0, 1)
    states = {i.pk: Invoice.objects.get(pk=i.pk) for i in (by_ref, by_number, partly, over)}
    assert states[by_ref.pk].status == states[by_number.pk].status == states[over.pk].status == Invoice.Status.PAID
    assert states[partly.pk].status == Invoice.Status.PARTIALLY_PAID
    assert states[partly.pk].amount_paid == Decimal("10.00")
    assert states[over.pk].amount_paid == over.total + Decimal("7.50")  # the over-payment is kept, to refund
    assert Order.objects.get(pk=by_ref.order_id).status == Order.Status.COMPLETED
    rules = dict(BankStatementEntry.objects.values_list("entry_ref", "rule"))
    assert rules == {"E1": "reference", "E2": "number", "E3": "reference", "E4": "reference", "E5": ""}
    (waiting,) = BankStatementEntry.objects.filter(status=BankStatementEntry.Status.UNMATCHED)
    assert (waiting.amount, waiting.counterparty, waiting.remittance) == (
        Decimal("12.34"),
        "Aunt Mary",
        "Birthday money",
    )
    payments = Payment.objects.filter(method="bank_transfer", status="captured")
    assert payments.count() == 4 and all(p.recorded_by == accounts for p in payments)

    # The same file again: refused, and nothing more recorded
    with pytest.raises(BankFileRefused, match="STMT-2026-12-01 was imported already"):
        bank_statement_import(name="december-again.xml", content=statement, actor=accounts)
    assert Payment.objects.filter(method="bank_transfer").count() == 4
    assert BankStatementEntry.objects.count() == 5 and BankStatement.objects.count() == 1


def test_an_overlapping_statement_skips_the_credits_it_brought_before(catalogue):
    invoice = invoiced(catalogue)
    first = camt053(ntry(Decimal("5.00"), ref=invoice.order.payment_reference, entry_id="E1"), statement_id="S1")
    second = camt053(
        ntry(Decimal("5.00"), ref=invoice.order.payment_reference, entry_id="E1"),
        ntry(Decimal("6.00"), ref=invoice.order.payment_reference, entry_id="E2"),
        statement_id="S2",
    )
    bank_statement_import(name="a.xml", content=first)

    imported = bank_statement_import(name="b.xml", content=second)

    assert (imported.matched, imported.known_before) == (1, 1)
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("11.00")


def test_version_08_and_the_exact_amount_of_a_named_customer(catalogue):
    invoice = invoiced(catalogue, customer=customer_build(full_name="Jan de Vries"))
    invoiced(catalogue, customer=customer_build(full_name="Piet Bakker"))

    imported = bank_statement_import(
        name="v08.xml",
        content=camt053(ntry(invoice.total, text="thanks", name="JAN DE VRIES", version=V08), version=V08),
    )

    assert imported.matched == 1
    assert BankStatementEntry.objects.get().rule == "amount"
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID


def test_a_wrong_check_digit_and_two_invoices_of_the_same_amount_are_left_for_staff(catalogue):
    # two customers of the same name, each owing the same amount
    first = invoiced(catalogue, customer=customer_build(full_name="Anna Smit"))
    second = invoiced(catalogue, customer=customer_build(full_name="Anna Smit"))
    wrong = "RF00" + first.order.number  # the check digits do not hold

    imported = bank_statement_import(
        name="x.xml", content=camt053(ntry(first.total, text=f"{wrong}", name="Anna Smit", entry_id="E1"))
    )

    assert (imported.matched, imported.to_match) == (0, 1)
    assert {Invoice.objects.get(pk=i.pk).amount_paid for i in (first, second)} == {Decimal("0.00")}


def test_staff_match_a_waiting_credit_by_hand_or_mark_it_not_ours(catalogue):
    desk = staff_member("Customer service")
    invoice = invoiced(catalogue)
    bank_statement_import(
        name="x.xml",
        content=camt053(
            ntry(invoice.total, text="see email", entry_id="E1"), ntry(Decimal("3.00"), text="?", entry_id="E2")
        ),
    )
    first, other = BankStatementEntry.objects.order_by("entry_ref")

    with pytest.raises(PermissionRefused):
        bank_entry_match(entry=first, invoice=invoice, actor=staff_member("Warehouse"))
    matched = bank_entry_match(entry=first, invoice=invoice, actor=desk)
    assert (matched.status, matched.rule, matched.decided_by) == ("matched", "staff", desk)
    assert Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID
    with pytest.raises(ApplicationError, match="already"):
        bank_entry_match(entry=first, invoice=invoice, actor=desk)

    with pytest.raises(ApplicationError, match="Say why"):
        bank_entry_dismiss(entry=other, reason="", actor=desk)
    dismissed = bank_entry_dismiss(entry=other, reason="The owner's own transfer", actor=desk)
    assert (dismissed.status, dismissed.note) == ("not_ours", "The owner's own transfer")
    assert BankStatement.objects.get().matched == 1


def test_a_csv_statement_is_read_by_its_header(catalogue):
    invoice = invoiced(catalogue)
    content = (
        "Date;Amount;Currency;Counterparty;IBAN;Remittance\n"
        f"2026-12-02;{invoice.total};EUR;A. Customer;NL02RABO0123456789;{invoice.order.payment_reference}\n"
        "2026-12-02;4,50;EUR;Someone;;no idea\n"
    ).encode()

    imported = bank_statement_import(name="bank.csv", content=content)

    assert (imported.statement.source, imported.matched, imported.to_match) == ("csv", 1, 1)
    assert BankStatementEntry.objects.get(status="unmatched").booked_on == date(2026, 12, 2)
    with pytest.raises(BankFileRefused, match="imported already"):
        bank_statement_import(name="bank (1).csv", content=content)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("statement.xml", b"PK\x03\x04 a zip file", "This is not XML"),
        ("statement.xml", b"<Document><unclosed></Document>", "not well-formed XML"),
        (
            "statement.xml",
            camt053(ntry(Decimal("1.00"))).replace(V02.encode(), b"urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"),
            "not a CAMT.053 statement",
        ),
        ("statement.xml", camt053(ntry(Decimal("1.00")), ntry(Decimal("2.00"), currency="USD")), "Entry 2: USD"),
        ("statement.xml", camt053(ntry(Decimal("-1.00"))), "Entry 1: a credit of -1.00"),
        ("bank.csv", b"date,amount,currency,counterparty,remittance\n2026-12-01,5.00,EUR,A,x\n", "Line 1: .*“iban”"),
        (
            "bank.csv",
            b"date,amount,currency,counterparty,iban,remittance\n2026-12-01,5.00,EUR,A,,x\n2026-12-01,-5.00,EUR,A,,x\n",
            "Line 3: the amount -5.00 is not money received",
        ),
        (
            "bank.csv",
            b"date,amount,currency,counterparty,iban,remittance\n01/12/2026,5.00,EUR,A,,x\n",
            "Line 2: .*date",
        ),
        ("bank.csv", b"date,amount,currency,counterparty,iban,remittance\n2026-12-01,5.00,GBP,A,,x\n", "Line 2: GBP"),
        ("bank.csv", b"", "empty"),
    ],
    ids=[
        "not xml",
        "broken xml",
        "wrong namespace",
        "other currency",
        "negative credit",
        "missing column",
        "negative amount",
        "bad date",
        "csv other currency",
        "empty",
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_nothing_is_recorded(catalogue, name, content, message):
    invoice = invoiced(catalogue)

    with pytest.raises(BankFileRefused, match=message):
        bank_statement_import(name=name, content=content)

    assert not BankStatement.objects.exists() and not BankStatementEntry.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0


@pytest.mark.postgres
def test_the_same_statement_uploaded_twice_at_once_is_recorded_once(require_postgres, transactional_db, catalogue):
    invoice = invoiced(catalogue)
    content = camt053(ntry(invoice.total, ref=invoice.order.payment_reference, entry_id="E1"))
    barrier, outcomes = threading.Barrier(2), []

    def upload():
        try:
            barrier.wait()
            outcomes.append(bank_statement_import(name="s.xml", content=content).matched)
        except BankFileRefused as refused:
            outcomes.append(str(refused))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2 and 1 in outcomes and any("imported already" in str(o) for o in outcomes), outcomes
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert BankStatement.objects.count() == 1 and BankStatementEntry.objects.count() == 1
