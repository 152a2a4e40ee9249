"""Invoice PDF rendering: a pure function from an invoice to PDF bytes (CONVENTIONS rule 10)."""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticOnlyFetcher(URLFetcher):
    """Serves files from the project's static folders and refuses every other URL
    (no file:// outside them, no http://), so an invoice can never read or fetch anything else."""

    def __init__(self):
        super().__init__(allowed_protocols=["file"])
        self.roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"Refused to fetch {url}")
        # Decode %20 and the like: the project may live in a folder whose name needs escaping.
        path = Path(url2pathname(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise ValueError(f"Refused to fetch {url}")
        mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime_type})


def pdf_from_template(template: str, context: dict, *, pdf_variant: str | None = None) -> bytes:
    """A document of the shop as PDF bytes: the template with the seller's details added (name,
    address, VAT and company numbers, for includes/pdf_seller.html), styles and images from the
    static folders only (StaticOnlyFetcher). `pdf_variant` e.g. "pdf/a-3b" (WeasyPrint's), for a
    Factur-X invoice."""
    html = render_to_string(
        template,
        {
            **context,
            "shop_name": settings.SHOP_NAME,
            "shop_address": settings.SHOP_ADDRESS,
            "shop_vat_number": settings.SHOP_VAT_NUMBER,
            "shop_company_registration": settings.SHOP_COMPANY_REGISTRATION,
        },
    )
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf(pdf_variant=pdf_variant)


def pdf_store(instance, pdf_bytes: bytes, number: str) -> None:
    """Store a rendered PDF in `instance.pdf` under its fixed name (<number>.pdf in the folder its
    upload_to gives) and stamp `pdf_rendered_at`. Storage renames a new file whose name is taken,
    so a file left by an earlier try is removed first (S3 would overwrite). The caller holds the
    row's lock."""
    name = instance.pdf.field.generate_filename(instance, f"{number}.pdf")
    if instance.pdf.storage.exists(name):
        instance.pdf.storage.delete(name)
    instance.pdf.save(name, ContentFile(pdf_bytes), save=False)
    instance.pdf_rendered_at = timezone.now()
    instance.save(update_fields=["pdf", "pdf_rendered_at", "updated_at"])


def invoice_pdf_render(
    *, invoice, lines, order, payments=(), delivered_on=None, card_pending=False, pdf_variant=None
) -> bytes:
    """The invoice as it stands now: `payments` are the captured payments against it (the paid
    block names their dates and methods), `delivered_on` the delivery date, `card_pending` true
    while a card authorised at checkout is still to be charged (so the invoice asks for nothing).
    The payment standing changes, so the caller renders again when it does
    (invoicing.services.invoice_pdf_refresh)."""
    return pdf_from_template(
        "invoicing/invoice_pdf.html",
        {
            "invoice": invoice,
            "lines": lines,
            "order": order,
            "payments": list(payments),
            "delivered_on": delivered_on,
            "card_pending": card_pending,
        },
        pdf_variant=pdf_variant,
    )


def credit_note_pdf_render(*, credit_note, lines, pdf_variant=None) -> bytes:
    """The credit note: seller, the customer as invoiced, the invoice it corrects, the reason, what
    it takes off per line and per tax rate, and the total credited."""
    return pdf_from_template(
        "invoicing/credit_note_pdf.html",
        {"credit_note": credit_note, "invoice": credit_note.invoice, "order": credit_note.order, "lines": lines},
        pdf_variant=pdf_variant,
    )


def customer_statement_pdf_render(*, customer, as_of, terms, currency, items, buckets, total, payments, payment_days):
    """The statement of account: open invoices with their ageing, the totals per bucket, and the
    payments received lately (invoicing.services.statements gathers them)."""
    return pdf_from_template(
        "invoicing/customer_statement_pdf.html",
        {
            "customer": customer,
            "as_of": as_of,
            "terms": terms,
            "currency": currency,
            "items": items,
            "buckets": buckets,
            "total": total,
            "payments": payments,
            "payment_days": payment_days,
            "shop_account_holder": settings.SHOP_ACCOUNT_HOLDER,
            "shop_iban": settings.SHOP_IBAN,
        },
    )
