"""The page a quote e-mail links to: the customer reads the quote and accepts it, no sign-in needed."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from lifecycle.quotes import quote_accept
from orders.models import Quote
from orders.quote_links import quote_id_from_token
from orders.selectors import quote_with_lines
from orders_site.core.exceptions import ApplicationError

from .helpers import form_page


def _quote_or_404(request, token) -> Quote:
    """The signed link is the key. A forged or altered link, a draft, or someone else's quote for a
    signed-in customer: 404, like every other URL of someone else's order."""
    quote_id = quote_id_from_token(token=token)
    quote = quote_with_lines(quote_id=quote_id) if quote_id is not None else None
    if quote is None or quote.status == Quote.Status.DRAFT:
        raise Http404("This link is not valid (any more)")
    owner_id = quote.customer.user_id
    if request.user.is_authenticated and owner_id is not None and owner_id != request.user.pk:
        raise Http404("This link is not valid (any more)")
    return quote


@form_page
def quote(request, token):
    quote = _quote_or_404(request, token)
    if request.method == "POST" and quote.status == Quote.Status.SENT:
        try:
            quote_accept(quote_id=quote.pk)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Thank you: your order is placed.")
            return redirect("storefront:quote", token=token)
        quote = _quote_or_404(request, token)
    context = {
        "quote": quote,
        "lines": list(quote.lines.all()),
        "expired": quote.is_expired_on(timezone.localdate()),
        "order": quote.order if quote.status == Quote.Status.ACCEPTED else None,
    }
    return render(request, "storefront/quote.html", context)
