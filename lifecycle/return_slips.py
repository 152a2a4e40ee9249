"""The printable return slip of an authorised return (a PDF of the shop, like the invoice)."""

from invoicing.pdf import pdf_from_template
from orders.models import ReturnRequest


def return_slip_pdf(*, return_request: ReturnRequest) -> bytes:
    """The slip the customer puts in the parcel: the RMA number, where to send it, the items."""
    return pdf_from_template(
        "orders/return_slip_pdf.html",
        {
            "return_request": return_request,
            "order": return_request.order,
            "lines": list(return_request.lines.select_related("order_line").order_by("pk")),
        },
    )
