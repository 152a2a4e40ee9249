"""The pick list as paper: a pure function from the pick list (orders.selectors.pick_lists) to PDF
bytes, rendered like the invoice (WeasyPrint, only our own static files)."""

from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from invoicing.pdf import StaticOnlyFetcher
from orders.selectors.pick_lists import PickList


def pick_list_pdf_render(*, pick_list: PickList, printed_at=None) -> bytes:
    """Per warehouse, the bins in walking order, units summed, the split per order below each row."""
    html = render_to_string(
        "pick_lists/pick_list_pdf.html",
        {"pick_list": pick_list, "printed_at": printed_at or timezone.localtime(), "shop_name": settings.SHOP_NAME},
    )
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()
