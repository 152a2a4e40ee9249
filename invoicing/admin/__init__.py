"""Invoicing in the staff console: invoices, payments, credit notes and what is owed back
(`invoices`), refunds (`refunds`) and store credit (`store_credit`)."""

from . import invoices, refunds, store_credit  # noqa: F401  (each registers its admin classes)
