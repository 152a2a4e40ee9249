from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from orders_site.core.exceptions import ApplicationError

from ..cart import DISCOUNT_SESSION_KEY, cart_store_for
from ..forms import AddToCartForm, CartLineForm, CartRemoveForm, DiscountCodeForm
from ..selectors import cart_view_build, product_get_for_storefront, product_get_with_availability
from ..services import cart as cart_services
from .helpers import message_change, redirect_next


def _cart_page(request, *, discount_form=None, status=200):
    store = cart_store_for(request)
    discount_code = request.session.get(DISCOUNT_SESSION_KEY, "")
    view = cart_view_build(items=store.items(), discount_code=discount_code)
    line_forms = [
        (
            line,
            CartLineForm(
                initial={"product": line.product.pk, "quantity": line.quantity}, auto_id=f"id_line{line.product.pk}_%s"
            ),
        )
        for line in view.lines
    ]
    return render(
        request,
        "storefront/cart.html",
        {
            "cart": view,
            "line_forms": line_forms,
            "discount_form": discount_form or DiscountCodeForm(initial={"code": view.discount_code}),
        },
        status=status,
    )


@require_safe
def cart_detail(request):
    return _cart_page(request)


@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        product_id = form.cleaned_data.get("product") if "product" not in form.errors else None
        product = product_get_with_availability(product_id=product_id) if product_id else None
        if product is not None and product.is_active:
            product = product_get_for_storefront(slug=product.slug)
            return render(request, "storefront/product_detail.html", {"product": product, "form": form}, status=200)
        messages.error(request, "That could not be added to your cart.")
        return redirect_next(request, reverse("storefront:cart"))
    try:
        change = cart_services.cart_add(
            cart=cart_store_for(request),
            product_id=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
            notes=form.cleaned_data["notes"] or None,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        message_change(request, change)
    return redirect_next(request, reverse("storefront:cart"))


@require_POST
def cart_update(request):
    form = CartLineForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("storefront:cart")
    try:
        change = cart_services.cart_update(
            cart=cart_store_for(request),
            product_id=form.cleaned_data["product"],
            quantity=form.cleaned_data["quantity"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        message_change(request, change)
    return redirect("storefront:cart")


@require_POST
def cart_remove(request):
    form = CartRemoveForm(request.POST)
    if form.is_valid():
        message_change(
            request, cart_services.cart_remove(cart=cart_store_for(request), product_id=form.cleaned_data["product"])
        )
    return redirect("storefront:cart")


@require_POST
def cart_discount(request):
    form = DiscountCodeForm(request.POST)
    if not form.is_valid():
        return _cart_page(request, discount_form=form)
    if "remove" in request.POST:
        cart_services.cart_discount_remove(session=request.session)
        messages.success(request, "The discount code was removed.")
        return redirect("storefront:cart")
    try:
        code = cart_services.cart_discount_apply(session=request.session, code=form.cleaned_data["code"])
    except ApplicationError as error:
        form.add_error(error.extra.get("field", "code"), error.message)
        return _cart_page(request, discount_form=form)
    messages.success(request, f"Discount code {code} applied." if code else "The discount code was removed.")
    return redirect("storefront:cart")
