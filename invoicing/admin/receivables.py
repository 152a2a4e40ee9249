"""Receivables in the staff console: who owes what and how late (invoicing.receivables), and each
customer's statement of account as a PDF. Pages of the invoice list (ReceivablesPagesMixin)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from orders.models import Customer

from ..receivables import BUCKET_LABELS, receivables
from ..services.statements import customer_statement_pdf

PERMISSION = "invoicing.view_invoice"
PAGE_CUSTOMERS = 200


def statement_url(customer_id: int) -> str:
    return reverse("admin:invoicing_customer_statement", args=[customer_id])


class ReceivablesPagesMixin:
    """For InvoiceAdmin: /receivables/ and /statement/<customer>/."""

    def get_urls(self):
        return [
            path("receivables/", self.admin_site.admin_view(self.receivables_view), name="invoicing_receivables"),
            path(
                "statement/<int:customer_id>/",
                self.admin_site.admin_view(self.statement_view),
                name="invoicing_customer_statement",
            ),
        ] + super().get_urls()

    def receivables_view(self, request):
        """Totals per ageing bucket, then the customers with open invoices, most overdue first."""
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        overdue_only = request.GET.get("overdue") == "1"
        figures = receivables(overdue_only=overdue_only, limit=PAGE_CUSTOMERS)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Receivables",
            "figures": figures,
            "labels": BUCKET_LABELS,
            "overdue_only": overdue_only,
            "page_customers": PAGE_CUSTOMERS,
            "rows": [
                {
                    "customer": row,
                    "cells": [row.buckets[key] for key in BUCKET_LABELS],
                    "statement_url": statement_url(row.customer_id),
                    "invoices_url": reverse("admin:invoicing_invoice_changelist") + f"?payment=open&q={row.email}",
                }
                for row in figures.customers
            ],
        }
        return TemplateResponse(request, "admin/invoicing/invoice/receivables.html", context)

    def statement_view(self, request, customer_id):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=customer_id)
        pdf = customer_statement_pdf(customer=customer)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="statement-{customer.pk}-{timezone.localdate():%Y-%m-%d}.pdf"'
        )
        return response
