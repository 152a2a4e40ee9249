"""The order desk: customer service enters phone, e-mail and counter orders, keeps drafts and sends
quotes. Admin pages (the console's look, login and permissions); every write is a service call
(orders.services.quotes, lifecycle.quotes) and every amount comes from the server's pricing.

Pages work without JavaScript (submit buttons: Find, Add line, Recalculate, Save draft, Send quote,
Place order); static/js/order_desk.js makes the look-ups and totals live through the JSON
endpoints here, which answer bad input with a problem body (400), never a 500.
"""

import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from inventory.selectors import stock_available_by_warehouse
from lifecycle.quotes import order_desk_place, quote_accept, quote_pdf_render
from orders.models import Customer, DeliveryMethod, Order, Quote, QuoteLine
from orders.selectors import (
    customers_find,
    desk_price,
    product_find_exact,
    products_find,
    quote_held_prices,
    quote_with_lines,
)
from orders.selectors.shipping import delivery_methods_for, parcel_measure
from orders.services.placement import AddressData, LineRequest
from orders.services.quotes import (
    DESK_CHANNELS,
    NewCustomer,
    QuoteRequest,
    quote_cancel,
    quote_request_from,
    quote_save_draft,
    quote_send,
    quote_valid_until_default,
)
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import money_display, rate_display

MAX_DESK_LINES = 100
LOOKUP_TERM_MAX = 100
ADDRESS_REQUIRED = ("full_name", "line1", "postal_code", "city", "country")

# --- forms: translate the post; the services decide -------------------------------------------------


class AddressForm(forms.Form):
    full_name = forms.CharField(max_length=200, required=False)
    company = forms.CharField(max_length=200, required=False)
    line1 = forms.CharField(label="Address line 1", max_length=200, required=False)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    postal_code = forms.CharField(max_length=20, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = forms.CharField(max_length=2, required=False, help_text="ISO code, e.g. NL")
    phone = forms.CharField(max_length=40, required=False)

    def address(self) -> AddressData | None:
        """The address entered, or None when every field is empty."""
        data = {name: (self.cleaned_data.get(name) or "").strip() for name in self.fields}
        if not any(data.values()):
            return None
        return AddressData(**data)

    def missing(self) -> list[str]:
        return [
            self.fields[name].label or name.replace("_", " ") for name in ADDRESS_REQUIRED if not self[name].value()
        ]


class DeskForm(forms.Form):
    channel = forms.ChoiceField(choices=[(c.value, c.label) for c in DESK_CHANNELS], initial=Order.Channel.PHONE)
    customer_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    customer_q = forms.CharField(label="Find a customer", max_length=LOOKUP_TERM_MAX, required=False)
    new_full_name = forms.CharField(label="Name", max_length=200, required=False)
    new_email = forms.CharField(label="E-mail", max_length=254, required=False)
    new_phone = forms.CharField(label="Phone", max_length=40, required=False)
    new_company = forms.CharField(label="Company", max_length=200, required=False)
    ship_same = forms.BooleanField(label="Deliver to the invoice address", required=False)
    delivery_method = forms.ModelChoiceField(
        queryset=DeliveryMethod.objects.filter(is_active=True), required=False, empty_label="Choose…"
    )
    requested_delivery_date = forms.DateField(
        label="Requested date", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    delivery_instructions = forms.CharField(
        label="Instructions", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    discount_code = forms.CharField(max_length=40, required=False)
    payment_method = forms.ChoiceField(choices=[("", "Choose…"), *Order.PaymentMethod.choices], required=False)
    card_number = forms.CharField(
        label="Card number", max_length=40, required=False, help_text="Only for payment by card (test gateway)"
    )
    use_store_credit = forms.BooleanField(
        label="Pay with the customer's store credit first",
        required=False,
        help_text="As much of the total as the credit covers; the payment method pays the rest",
    )
    received_message = forms.CharField(
        label="E-mail received", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    valid_until = forms.DateField(
        label="Quote valid until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    add_term = forms.CharField(label="SKU, barcode or name", max_length=LOOKUP_TERM_MAX, required=False)
    add_quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=999, required=False, initial=1)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"].strip()
        if not key.isascii() or not key.replace("-", "").isalnum():
            raise forms.ValidationError("The form was altered; open a new order.")
        return key


def _int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number


def lines_from_post(post) -> tuple[list[LineRequest], list[str]]:
    """The lines posted as parallel lists (line_product, line_quantity, line_notes; line_remove
    names rows to drop), and what was wrong with them. Only ids and quantities are taken from the
    post; every price is the server's."""
    products, quantities, notes = (
        post.getlist("line_product"),
        post.getlist("line_quantity"),
        post.getlist("line_notes"),
    )
    removed = {value for value in post.getlist("line_remove")}
    lines, errors = [], []
    for position, raw_product in enumerate(products[:MAX_DESK_LINES]):
        if str(position) in removed:
            continue
        product_id = _int(raw_product)
        quantity = _int(quantities[position]) if position < len(quantities) else None
        note = (notes[position] if position < len(notes) else "").strip()[:500]
        if product_id is None or product_id < 1:
            errors.append("A line names no product; it was left out.")
            continue
        if quantity is None or not 1 <= quantity <= 999:
            errors.append("Quantities must be whole numbers between 1 and 999.")
            quantity = max(1, min(quantity or 1, 999))
        lines.append(LineRequest(product_id=product_id, quantity=quantity, customisation_notes=note))
    if len(products) > MAX_DESK_LINES:
        errors.append(f"An order at the desk has at most {MAX_DESK_LINES} lines.")
    return lines, errors


def _problem(detail: str, *, status: int = 400) -> JsonResponse:
    """An RFC 9457 problem body."""
    return JsonResponse(
        {"type": "about:blank", "title": "Bad request", "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def _availability(availability) -> list[dict]:
    return [{"warehouse": a.warehouse_code, "name": a.warehouse_name, "available": a.available} for a in availability]


def pricing_json(pricing, currency: str) -> dict:
    priced = pricing.priced
    return {
        "lines": [
            {
                "row": line.position,
                "product_id": line.product.pk,
                "sku": line.product.sku,
                "name": line.product.name,
                "quantity": line.quantity,
                "unit_price": money_display(line.unit_price, currency),
                "price_held": line.price_held,
                "tax_rate": rate_display(line.product.tax_class.rate),
                "line_total": money_display(line.priced.total, currency),
                "available": line.available if line.product.tracks_stock else None,
                "short": line.short,
                "availability": _availability(line.availability),
            }
            for line in pricing.lines
        ],
        "totals": {
            "subtotal": money_display(priced.subtotal, currency),
            "discount": money_display(priced.discount_total, currency),
            "shipping": money_display(priced.shipping_net, currency),
            "tax": money_display(priced.tax_total, currency),
            "total": money_display(priced.total, currency),
        },
        "voucher": pricing.voucher.code if pricing.voucher else "",
        "voucher_terms": pricing.voucher.terms_display if pricing.voucher else "",
        "shipping_discount": money_display(priced.shipping_discount, currency),
        "problems": [{"field": field, "message": message} for field, message in pricing.problems],
    }


# --- the admin -----------------------------------------------------------------------------------------


@admin.register(QuoteLine)
class QuoteLineAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The lines of drafts and quotes, read-only (the desk writes them through the services)."""

    list_display = ("quote", "sku", "name", "quantity", "unit_price", "line_total")
    list_select_related = ("quote",)
    search_fields = (prefix("sku", ignore_case=True),)
    ordering = ("-pk",)
    sortable_by = ()


@admin.register(Quote)
class QuoteAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Drafts and quotes, newest first; each opens at the order desk."""

    list_display = ("number_link", "created_at", "customer", "channel", "status_badge", "total_display", "valid_until")
    list_filter = ("status",)
    list_select_related = ("customer",)
    search_fields = (prefix("customer__email", ignore_case=True),)
    search_help_text = "How the customer's e-mail address begins."
    ordering = ("-pk",)
    sortable_by = ()

    # -- columns ---

    @admin.display(description="quote")
    def number_link(self, quote):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:orders_quote_desk_open", args=[quote.pk]), quote.number
        )

    @admin.display(description="status")
    def status_badge(self, quote):
        return status_badge(quote.status, quote.get_status_display())

    @admin.display(description="total")
    def total_display(self, quote):
        return money_display(quote.total, quote.currency)

    # -- permissions: the desk places orders (orders.add_order) and keeps quotes (orders.*_quote) ---

    def has_add_permission(self, request):
        return request.user.has_perm("orders.add_quote")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("orders.change_quote")

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:orders_quote_desk"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quote_id = _int(object_id)
        if quote_id is None:
            raise Http404
        return HttpResponseRedirect(reverse("admin:orders_quote_desk_open", args=[quote_id]))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        own = [
            path("desk/", wrap(self.desk_view), name="orders_quote_desk"),
            path("desk/<int:quote_id>/", wrap(self.desk_view), name="orders_quote_desk_open"),
            path("desk/products/", wrap(self.products_json), name="orders_quote_desk_products"),
            path("desk/customers/", wrap(self.customers_json), name="orders_quote_desk_customers"),
            path("desk/price/", wrap(self.price_json), name="orders_quote_desk_price"),
            path("<int:quote_id>/pdf/", wrap(self.pdf_view), name="orders_quote_pdf"),
        ]
        return own + super().get_urls()

    # -- the desk page ---

    def _require_desk(self, request):
        if not request.user.has_perm("orders.add_order"):
            raise PermissionDenied

    def desk_view(self, request, quote_id=None):
        self._require_desk(request)
        quote = None
        if quote_id is not None:
            quote = quote_with_lines(quote_id=quote_id)
            if quote is None:
                raise Http404("No such draft or quote")
            if quote.status != Quote.Status.DRAFT:
                return self._quote_page(request, quote)
        if request.method == "POST":
            return self._desk_post(request, quote)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        return self._desk_get(request, quote)

    def _desk_get(self, request, quote):
        key = uuid.uuid4().hex
        if quote is None:
            form = DeskForm(
                initial={"idempotency_key": key, "valid_until": quote_valid_until_default(), "ship_same": True}
            )
            billing, shipping = AddressForm(prefix="billing"), AddressForm(prefix="shipping")
            lines, customer = [], None
        else:
            saved = quote_request_from(quote=quote)
            form = DeskForm(
                initial={
                    "idempotency_key": quote.idempotency_key or key,
                    "channel": saved.channel,
                    "customer_id": saved.customer.pk,
                    "delivery_method": saved.delivery_method,
                    "requested_delivery_date": saved.requested_delivery_date,
                    "delivery_instructions": saved.delivery_instructions,
                    "discount_code": saved.discount_code,
                    "payment_method": saved.payment_method,
                    "received_message": saved.received_message,
                    "valid_until": quote_valid_until_default(),
                    "ship_same": saved.shipping_address == saved.billing_address,
                }
            )
            billing = AddressForm(
                prefix="billing", initial=vars(saved.billing_address) if saved.billing_address else {}
            )
            shipping = AddressForm(
                prefix="shipping", initial=vars(saved.shipping_address) if saved.shipping_address else {}
            )
            lines, customer = saved.lines, saved.customer
        pricing = desk_price(
            lines=lines,
            delivery_method=form.initial.get("delivery_method"),
            discount_code=form.initial.get("discount_code", ""),
            customer=customer,
            country=saved.destination_country if quote is not None else "",
        )
        return self._render(
            request, form=form, billing=billing, shipping=shipping, pricing=pricing, customer=customer, quote=quote
        )

    def _desk_post(self, request, quote):
        form = DeskForm(request.POST)
        billing = AddressForm(request.POST, prefix="billing")
        shipping = AddressForm(request.POST, prefix="shipping")
        lines, line_errors = lines_from_post(request.POST)
        valid = form.is_valid() & billing.is_valid() & shipping.is_valid()
        data = form.cleaned_data  # what was valid, when something was not: the totals still show
        customer = None
        customer_id = form.cleaned_data.get("customer_id")
        if customer_id:
            customer = Customer.objects.filter(pk=customer_id).first()
            if customer is None:
                form.add_error(None, "That customer no longer exists; find them again.")
        if customer is None and quote is not None:
            customer = quote.customer
        if customer is not None and billing.address() is None:
            first = customer.addresses.order_by("pk").first()
            if first is not None:
                known = vars(AddressData.from_address(first))
                billing = AddressForm({f"billing-{name}": value for name, value in known.items()}, prefix="billing")
                billing.is_valid()
        found = []
        add_term = (form.cleaned_data.get("add_term") or "").strip()
        if "add_line" in request.POST and valid:
            product = product_find_exact(term=add_term)
            if product is not None:
                lines.append(LineRequest(product_id=product.pk, quantity=data.get("add_quantity") or 1))
                form = self._cleared_add(form)
            else:
                found = products_find(term=add_term)
                if not found:
                    form.add_error("add_term", "No product has this SKU or barcode, or a name that begins so.")
                elif len(found) == 1:
                    lines.append(LineRequest(product_id=found[0].pk, quantity=data.get("add_quantity") or 1))
                    form, found = self._cleared_add(form), []
                else:
                    form.add_error("add_term", "Several products match; choose one below.")
        if "add_product" in request.POST and valid:
            product_id = _int(request.POST.get("add_product"))
            if product_id:
                lines.append(LineRequest(product_id=product_id, quantity=data.get("add_quantity") or 1))
                form = self._cleared_add(form)
        customers = []
        if "find_customer" in request.POST and valid:
            customers = customers_find(term=data.get("customer_q") or "")
            if not customers:
                form.add_error("customer_q", "No customer's name, e-mail, company or phone begins so.")
        request_data = self._request(data, billing, shipping, lines, customer) if valid else None
        pricing = desk_price(
            lines=lines,
            delivery_method=data.get("delivery_method"),
            discount_code=data.get("discount_code") or "",
            customer=customer,
            country=request_data.destination_country if request_data else "",
        )
        for error in line_errors:
            form.add_error(None, error)
        action = next((a for a in ("place_order", "save_draft", "send_quote") if a in request.POST), None)
        if action and valid and not line_errors and request_data is not None:
            response = self._act(request, action, form, billing, shipping, request_data, quote, pricing)
            if response is not None:
                return response
        return self._render(
            request,
            form=form,
            billing=billing,
            shipping=shipping,
            pricing=pricing,
            customer=customer,
            quote=quote,
            customers=customers,
            found=found,
        )

    @staticmethod
    def _cleared_add(form):
        data = form.data.copy()
        data["add_term"] = ""
        data["add_quantity"] = "1"
        cleared = DeskForm(data)
        cleared.is_valid()
        return cleared

    @staticmethod
    def _request(data, billing, shipping, lines, customer) -> QuoteRequest:
        new_customer = None
        if customer is None and (data.get("new_full_name") or data.get("new_email")):
            new_customer = NewCustomer(
                full_name=data.get("new_full_name") or "",
                email=data.get("new_email") or "",
                phone=data.get("new_phone") or "",
                company=data.get("new_company") or "",
            )
        billing_address = billing.address()
        shipping_address = billing_address if data.get("ship_same") else shipping.address()
        return QuoteRequest(
            customer=customer,
            new_customer=new_customer,
            lines=lines,
            channel=data.get("channel") or Order.Channel.PHONE,
            delivery_method=data.get("delivery_method"),
            payment_method=data.get("payment_method") or "",
            billing_address=billing_address,
            shipping_address=shipping_address,
            discount_code=data.get("discount_code") or "",
            requested_delivery_date=data.get("requested_delivery_date"),
            delivery_instructions=data.get("delivery_instructions") or "",
            received_message=data.get("received_message") or "",
            use_store_credit=bool(data.get("use_store_credit")),
        )

    def _act(self, request, action, form, billing, shipping, order_request, quote, pricing):
        """Save, send or place through the services; None (the page again, with the errors) when refused."""
        data = form.cleaned_data
        key = data["idempotency_key"]
        if action != "save_draft":
            for label, address_form in (("invoice", billing), ("delivery", shipping)):
                if label == "delivery" and (
                    data.get("ship_same") or (data.get("delivery_method") and data["delivery_method"].is_pickup)
                ):
                    continue
                missing = address_form.missing()
                if missing and (label == "invoice" or address_form.address() is not None):
                    form.add_error(None, f"The {label} address needs: {', '.join(missing)}.")
                    return None
        if action == "place_order" and not request.user.has_perm("orders.add_order"):
            raise PermissionDenied
        if action in ("save_draft", "send_quote") and not request.user.has_perm("orders.add_quote"):
            raise PermissionDenied
        try:
            if action == "save_draft":
                saved = quote_save_draft(
                    request=order_request, actor=request.user, quote_id=quote.pk if quote else None, idempotency_key=key
                )
                self.message_user(
                    request,
                    f"Draft {saved.number} saved. Nothing is reserved until the order is placed.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_quote_desk_open", args=[saved.pk]))
            if action == "send_quote":
                sent = quote_send(
                    request=order_request,
                    actor=request.user,
                    valid_until=data.get("valid_until"),
                    quote_id=quote.pk if quote else None,
                    idempotency_key=key,
                )
                self.message_user(
                    request,
                    f"Quote {sent.number} sent to {sent.email}, valid until {sent.valid_until:%d/%m/%Y}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_quote_desk_open", args=[sent.pk]))
            order = order_desk_place(
                request=order_request,
                actor=request.user,
                idempotency_key=key,
                card_token=data.get("card_number") or "",
                draft_id=quote.pk if quote else None,
            )
        except ApplicationError as error:
            field = (error.extra or {}).get("field")
            field = "use_store_credit" if field == "store_credit" else field
            message = error.message
            if field in form.fields:
                form.add_error(field, message)
            else:
                form.add_error(None, message)
            return None
        self.message_user(
            request,
            f"Order {order.number} placed for {order.customer.full_name}: it is “{order.get_status_display()}”.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def _render(self, request, *, form, billing, shipping, pricing, customer, quote, customers=(), found=()):
        currency = quote.currency if quote else settings.CURRENCY
        context = {
            **self.admin_site.each_context(request),
            "title": f"Draft {quote.number}" if quote else "New order",
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "billing": billing,
            "shipping": shipping,
            "pricing": pricing,
            "currency": currency,
            "customer": customer,
            "quote": quote,
            "customers": customers,
            "found": found,
            "can_quote": request.user.has_perm("orders.add_quote"),
            "urls": {
                "products": reverse("admin:orders_quote_desk_products"),
                "customers": reverse("admin:orders_quote_desk_customers"),
                "price": reverse("admin:orders_quote_desk_price"),
            },
        }
        return TemplateResponse(request, "admin/orders/order_desk/desk.html", context)

    # -- a sent, accepted or cancelled quote ---

    def _quote_page(self, request, quote):
        if request.method == "POST":
            try:
                if "accept_quote" in request.POST:
                    if not request.user.has_perm("orders.add_order"):
                        raise PermissionDenied
                    order = quote_accept(quote_id=quote.pk, actor=request.user)
                    self.message_user(
                        request, f"Order {order.number} placed from quote {quote.number}.", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
                if "cancel_quote" in request.POST:
                    if not request.user.has_perm("orders.change_quote"):
                        raise PermissionDenied
                    quote_cancel(quote_id=quote.pk, actor=request.user)
                    self.message_user(request, f"Quote {quote.number} withdrawn.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:orders_quote_desk_open", args=[quote.pk]))
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:orders_quote_desk_open", args=[quote.pk]))
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "title": f"Quote {quote.number}",
            "subtitle": None,
            "opts": self.opts,
            "quote": quote,
            "lines": list(quote.lines.all()),
            "badge": status_badge(quote.status, quote.get_status_display()),
            "expired": quote.is_expired_on(today),
            "order": quote.order if quote.status == Quote.Status.ACCEPTED else None,
        }
        return TemplateResponse(request, "admin/orders/order_desk/quote.html", context)

    def pdf_view(self, request, quote_id):
        if not request.user.has_perm("orders.view_quote"):
            raise PermissionDenied
        quote = quote_with_lines(quote_id=quote_id)
        if quote is None or quote.status == Quote.Status.DRAFT:
            raise Http404("No such quote")
        response = HttpResponse(quote_pdf_render(quote=quote, lines=quote.lines.all()), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="quote-{quote.number}.pdf"'
        return response

    # -- the JSON endpoints (static/js/order_desk.js) ---

    def _term(self, request) -> str | None:
        term = request.GET.get("q", "")
        if len(term) > LOOKUP_TERM_MAX or "\x00" in term:
            return None
        return term.strip()

    def products_json(self, request):
        self._require_desk(request)
        term = self._term(request)
        if term is None:
            return _problem(f"Search for at most {LOOKUP_TERM_MAX} characters.")
        products = products_find(term=term)
        availability = stock_available_by_warehouse(product_ids=[p.pk for p in products])
        return JsonResponse(
            {
                "products": [
                    {
                        "id": product.pk,
                        "sku": product.sku,
                        "name": product.name,
                        "barcode": product.barcode,
                        "price": money_display(product.price),
                        "tax_rate": rate_display(product.tax_class.rate),
                        "tracks_stock": product.tracks_stock,
                        "available": sum(a.available for a in availability.get(product.pk, [])),
                        "availability": _availability(availability.get(product.pk, [])),
                    }
                    for product in products
                ]
            }
        )

    def customers_json(self, request):
        self._require_desk(request)
        term = self._term(request)
        if term is None:
            return _problem(f"Search for at most {LOOKUP_TERM_MAX} characters.")
        return JsonResponse(
            {
                "customers": [
                    {
                        "id": customer.pk,
                        "full_name": customer.full_name,
                        "email": customer.email,
                        "phone": customer.phone,
                        "company": customer.company,
                        "payment_terms": customer.get_payment_terms_display(),
                        "on_invoice": customer.on_account,
                        "addresses": [vars(AddressData.from_address(address)) for address in customer.addresses.all()],
                    }
                    for customer in customers_find(term=term)
                ]
            }
        )

    def price_json(self, request):
        """POST the desk form as it stands: its lines and totals as placement would price them."""
        self._require_desk(request)
        if request.method != "POST":
            return _problem("Send the form with POST.", status=405)
        lines, errors = lines_from_post(request.POST)
        if errors:
            return _problem(errors[0])
        delivery_method = None
        delivery_id = request.POST.get("delivery_method", "")
        if delivery_id:
            if _int(delivery_id) is None:
                return _problem("Choose a delivery method from the list.")
            delivery_method = DeliveryMethod.objects.filter(pk=_int(delivery_id), is_active=True).first()
            if delivery_method is None:
                return _problem("This delivery method is not offered.")
        code = request.POST.get("discount_code", "")
        if len(code) > 40 or "\x00" in code:
            return _problem("A discount code has at most 40 characters.")
        held = {}
        quote_id = _int(request.POST.get("quote_id", ""))
        if quote_id:
            held = quote_held_prices(quote_id=quote_id)
        customer = None
        customer_id = _int(request.POST.get("customer_id", ""))
        if customer_id:
            customer = Customer.objects.filter(pk=customer_id).first()  # for the code's per-customer limit
        country = request.POST.get("billing-country", "")
        if not request.POST.get("ship_same") and request.POST.get("shipping-country", "").strip():
            country = request.POST["shipping-country"]
        country = country.strip().upper()[:2]
        pricing = desk_price(
            lines=lines,
            delivery_method=delivery_method,
            discount_code=code,
            held_prices=held,
            customer=customer,
            country=country,
        )
        data = pricing_json(pricing, settings.CURRENCY)
        # The methods that deliver this order to this country, with their fee: the desk offers only these.
        weight, goods = parcel_measure((line.product, line.quantity, line.unit_price) for line in pricing.lines)
        data["delivery_methods"] = [
            {"id": method.pk, "name": method.name, "fee": money_display(fee, settings.CURRENCY)}
            for method, fee in delivery_methods_for(country=country, weight_grams=weight, goods_total=goods)
        ]
        return JsonResponse(data)
