"""The papers that go with a parcel: the packing slip (what is in it, no prices) and the shipping
label placeholder (the delivery address and the order number as a QR code). Pure functions from the
shipment to PDF bytes, like invoicing.pdf and the quote PDF."""

from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML

from invoicing.pdf import StaticOnlyFetcher
from orders.models import Shipment, ShipmentLine


def _pdf(template: str, context: dict) -> bytes:
    html = render_to_string(
        template, {**context, "shop_name": settings.SHOP_NAME, "shop_address": settings.SHOP_ADDRESS}
    )
    base_url = Path(settings.STATICFILES_DIRS[0]).resolve().as_uri() + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=StaticOnlyFetcher()).write_pdf()


def _address_lines(shipment: Shipment) -> list[str]:
    address = shipment.order.shipping_address
    if address is None:
        return [shipment.order.customer.full_name, f"Collects at {shipment.warehouse.name}"]
    return address.as_lines()


def packing_slip_pdf_render(*, shipment: Shipment, lines: list[ShipmentLine]) -> bytes:
    """The slip in the box: the parcel's lines with their quantities and customisation notes."""
    return _pdf(
        "packing/packing_slip.html",
        {"shipment": shipment, "order": shipment.order, "lines": lines, "address_lines": _address_lines(shipment)},
    )


def order_number_qr_svg(number: str) -> str:
    """The order number as an inline SVG QR code (what the label shows and a scanner reads)."""
    return segno.make(number, error="m").svg_inline(scale=4, title=f"Order {number}")


def shipping_label_pdf_render(*, shipment: Shipment) -> bytes:
    """A placeholder label until a carrier's own label is printed: sender, delivery address, parcel
    and order number, and the order number as a QR code."""
    return _pdf(
        "packing/shipping_label.html",
        {
            "shipment": shipment,
            "order": shipment.order,
            "address_lines": _address_lines(shipment),
            "qr_svg": order_number_qr_svg(shipment.order.number),
        },
    )
