from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render

from feedback.selectors import feedback_request_from_token
from feedback.services import FeedbackAlreadyGiven, feedback_submit
from orders_site.core.exceptions import ApplicationError

from ..forms import FeedbackForm
from .helpers import form_page


def _feedback_request_or_404(request, token):
    """The signed link is the key (no sign-in needed). A signed-in customer who is not the order's
    customer gets 404, like on every other URL of someone else's order."""
    feedback_request = feedback_request_from_token(token=token)
    if feedback_request is None:
        raise Http404("This link is not valid (any more)")
    owner_id = feedback_request.order.customer.user_id
    if request.user.is_authenticated and owner_id is not None and owner_id != request.user.pk:
        raise Http404("This link is not valid (any more)")
    return feedback_request


@form_page
def feedback(request, token):
    feedback_request = _feedback_request_or_404(request, token)
    order = feedback_request.order
    if feedback_request.responded_at is not None:
        return render(request, "storefront/feedback_thanks.html", {"order": order})
    products = []
    for line in order.lines.all():
        if line.product is not None and line.product not in products:
            products.append(line.product)
    form = FeedbackForm(request.POST or None, products=products)
    if request.method == "POST" and form.is_valid():
        try:
            feedback_submit(
                feedback_request=feedback_request,
                overall_rating=form.cleaned_data["overall_rating"],
                product_ratings=form.product_ratings(),
                comment=form.cleaned_data["comment"],
            )
        except ApplicationError as error:
            if isinstance(error, FeedbackAlreadyGiven):
                messages.info(request, error.message)
                return redirect("storefront:feedback", token=token)
            form.add_error(None, error.message)
        else:
            messages.success(request, "Thank you for your feedback!")
            return redirect("storefront:feedback", token=token)
    return render(request, "storefront/feedback.html", {"order": order, "form": form})
