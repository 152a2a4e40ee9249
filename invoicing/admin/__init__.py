"""Invoicing in the staff console: invoices, payments, credit notes and what is owed back
(`invoices`), refunds (`refunds`), payment reminders (`reminders`) and store credit (`store_credit`)."""

from . import bank_statements, invoices, refunds, reminders, store_credit  # noqa: F401  (each registers its admin)
