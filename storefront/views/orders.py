"""The customer's order page and what hangs off it: cancel, invoice PDF, feedback, guest lookup.

Every URL answers 404 for an order the visitor may not see, so order numbers cannot be probed.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from feedback.selectors import feedback_link_for_request, feedback_open_for
from feedback.services import feedback_request_create
from invoicing.services import credit_note_pdf_ensure, invoice_pdf_ensure
from invoicing.services.einvoices import credit_note_facturx_pdf, invoice_facturx_pdf
from lifecycle.cancellation import order_cancel
from orders.models import Order
from orders.selectors.return_requests import return_window_open, returnable_now
from orders.services.return_requests import return_request_create, units_field
from orders_site.core.client_address import client_address
from orders_site.core.exceptions import ApplicationError
from orders_site.core.throttle import attempt_record, attempts_count

from ..forms import CancelOrderForm, GuestLookupForm, ReturnRequestForm
from ..selectors import order_page_for_guest, order_page_view
from .helpers import form_page, guest_order_grant, lookup_url, order_for_request


def _order_or_404(request, number):
    order = order_for_request(request, number)
    if order is None:
        raise Http404("No such order")
    return order


def _can_cancel(request, order) -> bool:
    """Only the account holder cancels online; guests ask customer service (they have no sign-in)."""
    return order.is_cancellable and request.user.is_authenticated and order.customer.user_id == request.user.pk


def _feedback_state(order):
    """("link", url) | ("start", None) | ("done", None) | (None, None)"""
    if not feedback_open_for(order=order):
        return None, None
    feedback_request = getattr(order, "feedback_request", None)
    if feedback_request is None:
        return "start", None
    if feedback_request.responded_at is not None:
        return "done", None
    return "link", feedback_link_for_request(request_id=feedback_request.pk)


@require_safe
def order_detail(request, number):
    order = order_for_request(request, number)
    if order is None:
        if request.user.is_authenticated:
            raise Http404("No such order")
        # Same answer whether or not the order exists: sign in, or look it up with its e-mail.
        return redirect(lookup_url(number))
    feedback_state, feedback_url = _feedback_state(order)
    view = order_page_view(order=order)
    return render(
        request,
        "storefront/order_detail.html",
        {
            "order": order,
            "view": view,
            "timeline": view.timeline,
            "amount_due": view.amount_due,
            "can_cancel": _can_cancel(request, order),
            "can_return": return_window_open(order=order),
            "is_guest_order": order.customer.user_id is None,
            "feedback_state": feedback_state,
            "feedback_url": feedback_url,
        },
    )


@form_page
def order_cancel_view(request, number):
    """GET asks to confirm; POST cancels through the service with the customer as the actor."""
    order = _order_or_404(request, number)
    if not (request.user.is_authenticated and order.customer.user_id == request.user.pk):
        raise Http404("No such order")
    if not order.is_cancellable:
        messages.info(request, "This order can no longer be cancelled online. Please contact us.")
        return redirect("storefront:order_detail", number=order.number)
    form = CancelOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order_cancel(order=order, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Your order {order.number} has been cancelled.")
        return redirect("storefront:order_detail", number=order.number)
    return render(request, "storefront/order_cancel.html", {"order": order, "form": form})


@form_page
def order_return_view(request, number):
    """The customer asks to send delivered items back: units per line, a reason, how the money
    comes back (orders.services.return_requests checks the rest, beside the field)."""
    order = _order_or_404(request, number)
    open_now = returnable_now(order=order)
    if not open_now:
        messages.info(request, "Nothing on this order can be returned online any more. Please contact us.")
        return redirect("storefront:order_detail", number=order.number)
    form = ReturnRequestForm(
        request.POST or None,
        returnable=open_now,
        field_name=units_field,
        can_store_credit=order.customer.user_id is not None,
        needs_iban=order.payment_method != Order.PaymentMethod.CARD,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            return_request = return_request_create(
                order=order,
                units=form.units(),
                reason=data["reason"],
                comment=data["comment"],
                refund_to=data["refund_to"],
                iban=data.get("iban", ""),
                account_holder=data.get("account_holder", ""),
                actor=request.user if request.user.is_authenticated else None,
            )
        except ApplicationError as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, error.message)
        else:
            messages.success(
                request,
                f"We received your return request {return_request.number}. Please wait for our e-mail with "
                "the instructions before you send anything.",
            )
            return redirect("storefront:order_detail", number=order.number)
    return render(request, "storefront/order_return.html", {"order": order, "form": form})


@require_safe
def invoice_download(request, number, invoice_number):
    order = _order_or_404(request, number)
    invoice = next((i for i in order.issued_invoices if i.number == invoice_number), None)
    if invoice is None:
        raise Http404("No such invoice")
    filename = f"invoice-{invoice.number}.pdf"
    if order.customer.vat_number:  # a business: the Factur-X PDF, the structured invoice inside
        response = HttpResponse(invoice_facturx_pdf(invoice=invoice), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    elif invoice.pdf:
        response = FileResponse(
            invoice.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=filename
        )
    else:
        # Normally rendered by the worker at issue; render it now if the worker has not got to it.
        _, pdf_bytes = invoice_pdf_ensure(invoice_id=invoice.pk)
        response = HttpResponse(pdf_bytes, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def credit_note_download(request, number, credit_note_number):
    """A credit note of the customer's own order (404 for anyone else's), rendered first if the
    worker has not stored it yet."""
    order = _order_or_404(request, number)
    credit_note = next((c for c in order.issued_credit_notes if c.number == credit_note_number), None)
    if credit_note is None:
        raise Http404("No such credit note")
    if order.customer.vat_number:
        pdf_bytes = credit_note_facturx_pdf(credit_note=credit_note)
    else:
        _, pdf_bytes = credit_note_pdf_ensure(credit_note_id=credit_note.pk)
    response = HttpResponse(pdf_bytes, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="credit-note-{credit_note.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def order_feedback_start(request, number):
    """A delivered order without a feedback request yet (not paid so far): make one, go to its form."""
    order = _order_or_404(request, number)
    if not feedback_open_for(order=order):
        raise Http404("Feedback opens once the order is delivered")
    feedback_request = feedback_request_create(order=order)
    return redirect(feedback_link_for_request(request_id=feedback_request.pk))


def _throttle_key(request) -> str:
    # The client address as the login throttle sees it (TRUSTED_PROXY_COUNT decides whether
    # X-Forwarded-For is believed, and which entry).
    return f"storefront:guest-lookup:{client_address(request) or 'unknown'}"


def _throttled(request) -> bool:
    return attempts_count(key=_throttle_key(request)) >= settings.GUEST_LOOKUP_MAX_ATTEMPTS


def _count_failure(request) -> None:
    attempt_record(key=_throttle_key(request), window_seconds=settings.GUEST_LOOKUP_WINDOW_SECONDS)


@form_page
def order_lookup(request):
    """Guests find an order by its number and e-mail address. Failed tries are limited per address
    (a counter in the shared cache, off while the cache is down), so numbers and addresses cannot
    be guessed in bulk."""
    form = GuestLookupForm(request.POST or None, initial={"number": request.GET.get("number", "")[:20]})
    minutes = max(settings.GUEST_LOOKUP_WINDOW_SECONDS // 60, 1)
    if request.method == "POST":
        if _throttled(request):
            form.is_valid()
            form.add_error(None, f"Too many tries. Please wait {minutes} minutes and try again, or contact us.")
            return render(request, "storefront/order_lookup.html", {"form": form}, status=429)
        if form.is_valid():
            number, email = form.cleaned_data["number"].strip(), form.cleaned_data["email"]
            order = order_page_for_guest(number=number, email=email)
            if order is not None:
                guest_order_grant(request, number=order.number, email=order.email)
                return redirect("storefront:order_detail", number=order.number)
            _count_failure(request)
            form.add_error(
                None,
                "We could not find an order with this number and e-mail address. Check both; orders "
                "placed while signed in are under My orders after you sign in.",
            )
    return render(request, "storefront/order_lookup.html", {"form": form})
