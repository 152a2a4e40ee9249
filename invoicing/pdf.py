"""Invoice PDF rendering: a pure function from an invoice to PDF bytes (CONVENTIONS rule 10)."""

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
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


def invoice_pdf_render(*, invoice, lines, order, payments=(), delivered_on=None, card_pending=False) -> bytes:
    """The invoice as it stands now: `payments` are the captured payments against it (the paid
    block names their dates and methods), `delivered_on` the delivery date, `card_pending` true
    while a card authorised at checkout is still to be charged (so the invoice asks for nothing).
    The payment standing changes, so the caller renders again when it does
    (invoicing.services.invoice_pdf_refresh)."""
    html = render_to_string(
        "invoicing/invoice_pdf.html",
        {
            "invoice": invoice,
            "lines": lines,
            "order": order,
            "payments": list(payments),
            "delivered_on": delivered_on,
            "card_pending": card_pending,
            "shop_name": settings.SHOP_NAME,
            "shop_address": settings.SHOP_ADDRESS,
            "shop_vat_number": settings.SHOP_VAT_NUMBER,
            "shop_company_registration": settings.SHOP_COMPANY_REGISTRATION,
        },
    )
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()


def credit_note_pdf_render(*, credit_note, lines) -> bytes:
    """The credit note: seller, the customer as invoiced, the invoice it corrects, the reason, what
    it takes off per line and per tax rate, and the total credited."""
    html = render_to_string(
        "invoicing/credit_note_pdf.html",
        {
            "credit_note": credit_note,
            "invoice": credit_note.invoice,
            "order": credit_note.order,
            "lines": lines,
            "shop_name": settings.SHOP_NAME,
            "shop_address": settings.SHOP_ADDRESS,
            "shop_vat_number": settings.SHOP_VAT_NUMBER,
            "shop_company_registration": settings.SHOP_COMPANY_REGISTRATION,
        },
    )
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()
