"""The "Edit order" page (customer service and managers): the order's lines, delivery, addresses and
discount code, saved through lifecycle.order_edits.order_edit_settle as the order's next version.

Lines are posted as the order desk posts them (line_product, line_quantity, line_remove; read
with order_desk.lines_from_post), addresses with the desk's AddressForm; a product is added by
its SKU. Every price is the server's (orders.services.order_edits.PRICE_RULE, shown on the page).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from inventory.models import Product
from invoicing.services import PaymentDeclined
from lifecycle.order_edits import order_edit_settle
from orders.models import DeliveryMethod, Order
from orders.services.order_edits import EDIT_PERMISSION, EDITABLE, PRICE_RULE, EditConflict
from orders.services.placement import AddressData, LineRequest
from orders_site.core.exceptions import ApplicationError

from .order_desk import AddressForm, lines_from_post

FORM_FIELDS = ("version", "reason", "delivery_method", "voucher_code", "card_number", "add_sku", "add_quantity")


class OrderEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    reason = forms.CharField(
        label="Why is the order changed?", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    delivery_method = forms.ModelChoiceField(queryset=DeliveryMethod.objects.all(), empty_label=None)
    ship_same = forms.BooleanField(label="Deliver to the invoice address", required=False)
    voucher_code = forms.CharField(label="Discount code", max_length=40, required=False)
    add_sku = forms.CharField(label="Add a product (SKU)", max_length=64, required=False)
    add_quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=999, required=False, initial=1)
    card_number = forms.CharField(
        label="Card number for a top-up",
        max_length=40,
        required=False,
        help_text="Only when the card order costs more than was authorised (test gateway)",
    )


def may_edit(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(EDIT_PERMISSION)


def _address_initial(address) -> dict:
    return {} if address is None else {f: getattr(address, f) for f in AddressData.__dataclass_fields__}


def _lines_shown(lines: list[LineRequest], order: Order) -> list[dict]:
    """The rows of the lines table: the order's own snapshot for a product it has, the catalogue's
    name for one added (two queries at most, whatever the number of lines)."""
    kept = {line.product_id: line for line in order.lines.all()}
    new = Product.objects.in_bulk({line.product_id for line in lines} - set(kept))
    rows = []
    for line in lines:
        own = kept.get(line.product_id)
        product = new.get(line.product_id)
        rows.append(
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "sku": own.sku if own else (product.sku if product else "?"),
                "name": own.name if own else (product.name if product else "unknown product"),
                "unit_price": own.unit_price if own else (product.price if product else None),
                "agreed": own is not None,
            }
        )
    return rows


DOUBLE_SUBMIT_SECONDS = 30


def _own_repeat(request, order: Order, expected_version: int):
    """The version this person saved from the same form moments ago (a double submit), or None."""
    newer = list(order.versions.filter(number__gt=expected_version).order_by("number")[:2])
    if len(newer) != 1 or newer[0].actor_id != request.user.pk:
        return None
    if (timezone.now() - newer[0].created_at).total_seconds() > DOUBLE_SUBMIT_SECONDS:
        return None
    return newer[0]


def order_edit_view(model_admin, request, order: Order):
    if not may_edit(request.user):
        raise PermissionDenied
    back = reverse("admin:orders_order_change", args=[order.pk])
    if order.status not in EDITABLE:
        messages.error(request, f"Order {order.number} is “{order.get_status_display()}”; it can no longer be edited.")
        return HttpResponseRedirect(back)
    if request.method == "POST":
        form = OrderEditForm(data=request.POST)
        billing = AddressForm(data=request.POST, prefix="billing")
        shipping = AddressForm(data=request.POST, prefix="shipping")
        lines, line_errors = lines_from_post(request.POST)
        valid = form.is_valid() & billing.is_valid() & shipping.is_valid()
        if valid and form.cleaned_data["add_sku"].strip():
            product = Product.objects.filter(sku__iexact=form.cleaned_data["add_sku"].strip(), is_active=True).first()
            if product is None:
                form.add_error("add_sku", "No product is sold with this SKU.")
            else:
                lines.append(LineRequest(product_id=product.pk, quantity=form.cleaned_data["add_quantity"] or 1))
        if valid and not form.errors and not line_errors:
            for address_form in (billing, *(() if form.cleaned_data["ship_same"] else (shipping,))):
                for name in address_form.missing():
                    form.add_error(None, f"{name.capitalize()} is missing from an address.")
        if valid and not form.errors and not line_errors:
            billing_data = billing.address()
            shipping_data = billing_data if form.cleaned_data["ship_same"] else shipping.address()
            try:
                settled = order_edit_settle(
                    card_token=form.cleaned_data["card_number"],
                    order=order,
                    expected_version=form.cleaned_data["version"],
                    lines=lines,
                    delivery_method=form.cleaned_data["delivery_method"],
                    shipping_address=shipping_data,
                    billing_address=billing_data,
                    voucher_code=form.cleaned_data["voucher_code"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except EditConflict as conflict:
                repeat = _own_repeat(request, order, form.cleaned_data["version"])
                if repeat is not None:  # the same person's second click: the first one saved it
                    messages.info(request, f"Order {order.number} was already saved as version {repeat.number}.")
                    return HttpResponseRedirect(back + "#versions")
                form.add_error("version", conflict.message)
            except PaymentDeclined as declined:
                form.add_error("card_number", declined.message)
            except ApplicationError as refused:
                field = (refused.extra or {}).get("field")
                if field == "shipping_address":
                    shipping.add_error(None, refused.message)
                form.add_error(field if field in FORM_FIELDS else None, refused.message)
            else:
                messages.success(request, settled.message)
                return HttpResponseRedirect(back + "#versions")
        for error in line_errors:
            form.add_error(None, error)
    else:
        form = OrderEditForm(
            initial={
                "version": order.version,
                "delivery_method": order.delivery_method_id,
                "voucher_code": order.discount_code,
                "ship_same": order.shipping_address is None,
            }
        )
        billing = AddressForm(prefix="billing", initial=_address_initial(order.billing_address))
        shipping = AddressForm(prefix="shipping", initial=_address_initial(order.shipping_address))
        lines = [LineRequest(product_id=line.product_id, quantity=line.quantity) for line in order.lines.all()]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": f"Edit order {order.number}",
        "order": order,
        "form": form,
        "billing": billing,
        "shipping": shipping,
        "lines": _lines_shown(lines, order),
        "price_rule": PRICE_RULE,
        "back_url": back,
    }
    return TemplateResponse(request, "admin/orders/order/edit.html", context)
