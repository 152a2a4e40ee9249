"""Customers and their addresses, and the settings managers keep: delivery methods, risk rules.

Vouchers have their own module (vouchers.py)."""

import re

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from invoicing.models import StoreCreditAccount
from orders.models import Address, Customer, DeliveryMethod, Order, RiskRules, ShippingZone, WeightBand
from orders.services.addresses import ADDRESS_FIELDS, order_address_fix, order_address_twin
from orders_site.core.admin import LargeTableAdminMixin, SavedThroughServiceMixin, prefix
from orders_site.core.countries import COUNTRY_NAMES
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import money_display
from orders_site.core.staff_actions import admin_link


def orders_using_address(address: Address):
    return Order.objects.filter(Q(shipping_address=address) | Q(billing_address=address))


def address_editable(address: Address) -> bool:
    """An order's address may be corrected until the order is dispatched; after that it is
    what the parcel and the invoice said. Address-book entries (no order uses them) stay editable."""
    return not orders_using_address(address).exclude(status__in=Order.CANCELLABLE).exists()


class AddressInline(admin.TabularInline):
    model = Address
    fields = ("full_name", "company", "line1", "line2", "postal_code", "city", "region", "country", "phone")
    extra = 0


@admin.register(Customer)
class CustomerAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("full_name", "email", "company", "phone", "payment_terms", "net_days", "created_at")
    list_filter = ("payment_terms",)
    search_fields = (
        prefix("email", ignore_case=True),
        prefix("full_name", ignore_case=True),
        prefix("company", ignore_case=True),
    )
    search_help_text = "How the e-mail address, name or company begins (any case)."
    ordering = ("full_name", "pk")
    sortable_by = ("full_name",)
    raw_id_fields = ("user",)
    readonly_fields = ("store_credit_line", "statement_link", "created_at", "updated_at")
    inlines = (AddressInline,)

    @admin.display(description="Statement of account")
    def statement_link(self, customer):
        """Open invoices, their ageing and the payments of the last 90 days, as a PDF."""
        if customer.pk is None:
            return "—"
        return format_html(
            '<a href="{}">Statement (PDF)</a>', reverse("admin:invoicing_customer_statement", args=[customer.pk])
        )

    @admin.display(description="Store credit")
    def store_credit_line(self, customer):
        """The balance (a link to the ledger) and the give button: those who see customers (customer
        service, managers) may give credit; the page checks."""
        if customer.pk is None:
            return "—"
        account = StoreCreditAccount.objects.filter(customer=customer).first()
        give = reverse("admin:invoicing_storecredit_give", args=[customer.pk])
        if account is None:
            return format_html('None <a class="button" href="{}">Give store credit</a>', give)
        return format_html(
            '<a href="{}">{}</a> <a class="button" href="{}">Give store credit</a>',
            reverse("admin:invoicing_storecreditaccount_change", args=[account.pk]),
            money_display(account.balance, account.currency),
            give,
        )


class AddressFixForm(forms.ModelForm):
    # Shown only on an order's address whose other address says the same (AddressAdmin.get_fields).
    apply_to_both = forms.BooleanField(
        label="Fix both addresses",
        required=False,
        initial=True,
        help_text="The order's delivery and billing addresses were the same: correct the other one too.",
    )

    class Meta:
        model = Address
        fields = ("customer", *ADDRESS_FIELDS)


ROLE_NAMES = {"shipping": "delivery", "billing": "billing"}


@admin.register(Address)
class AddressAdmin(SavedThroughServiceMixin, admin.ModelAdmin):
    """Address-book entries and the frozen copies on orders. Customer service fixes a held order's
    address here: saving corrects it (and, when the order's delivery and billing addresses were the
    same, the other one too) and re-checks the held order in the same step."""

    form = AddressFixForm
    list_display = ("full_name", "line1", "postal_code", "city", "country", "customer")
    list_filter = ("country",)
    list_select_related = ("customer",)
    search_fields = ("full_name", "company", "line1", "postal_code", "city", "customer__email")
    autocomplete_fields = ("customer",)
    fields = (
        "customer",
        "full_name",
        "company",
        "line1",
        "line2",
        "postal_code",
        "city",
        "region",
        "country",
        "phone",
        "used_by_orders",
    )
    readonly_fields = ("used_by_orders",)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not address_editable(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and orders_using_address(obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    def _order_of(self, address):
        return orders_using_address(address).order_by("pk").first() if address is not None and address.pk else None

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        order = self._order_of(obj)
        if order is not None and order_address_twin(order=order, address=obj) is not None:
            return (*fields, "apply_to_both")
        return fields

    @admin.display(description="used by orders")
    def used_by_orders(self, address):
        if address.pk is None:
            return "—"
        orders = list(orders_using_address(address).order_by("pk")[:20])
        if not orders:
            return "— (address book)"
        return format_html_join(", ", "{} ({})", ((admin_link(o), o.get_status_display()) for o in orders))

    def _order_to_return_to(self, request):
        order_id = request.GET.get("order", "")
        return Order.objects.filter(pk=order_id).first() if order_id.isdigit() else None

    def save_model(self, request, obj, form, change):
        # An order's frozen copy is corrected through the service (checked, locked, on the timeline,
        # a held order re-checked); address-book entries save as usual.
        order = self._order_of(obj) if change else None
        if order is None:
            return super().save_model(request, obj, form, change)
        try:
            obj._address_fix = order_address_fix(
                order=order,
                address=obj,
                changes={name: form.cleaned_data[name] for name in form.changed_data if name != "apply_to_both"},
                actor=request.user,
                also_twin=bool(form.cleaned_data.get("apply_to_both")),
            )
        except ApplicationError as error:
            self.save_refused(obj, error)

    def _fix_message(self, fix) -> str:
        order = fix.order
        which = " and ".join(ROLE_NAMES[role] for role in fix.roles) or "the"
        text = f"{which.capitalize()} address{'es' if len(fix.roles) > 1 else ''} of order {order.number} saved"
        if not fix.rechecked:
            hint = " Press “Re-check” to verify it again." if order.status == Order.Status.ON_HOLD else ""
            return f"{text}.{hint}"
        text += f" and the order re-checked: it is now “{order.get_status_display()}”."
        if order.status == Order.Status.ON_HOLD:
            reasons = [c.detail for c in order.checks.filter(result="failed").order_by("pk")]
            text += (" Still held: " + "; ".join(reasons) + ".") if reasons else ""
        return text

    def response_change(self, request, obj):
        if self.save_was_refused(obj):
            return super().response_change(request, obj)
        # Came from an order page ("Fix this address"): go back there.
        order = self._order_to_return_to(request)
        if order is not None and "_continue" not in request.POST:
            fix = getattr(obj, "_address_fix", None)
            if fix is not None:
                self.message_user(request, self._fix_message(fix), messages.SUCCESS)
            else:
                self.message_user(request, f"Address of order {order.number} saved.", messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return super().response_change(request, obj)


class WeightBandFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        previous = None
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            up_to = form.cleaned_data.get("up_to_grams")
            if up_to is None:
                continue
            if previous is not None and up_to <= previous:
                form.add_error(
                    "up_to_grams", f"List the bands by weight, lightest first: this must be above {previous} g."
                )
            previous = up_to


class WeightBandInline(admin.TabularInline):
    model = WeightBand
    formset = WeightBandFormSet
    extra = 1
    ordering = ("up_to_grams",)


class DeliveryMethodForm(forms.ModelForm):
    class Meta:
        model = DeliveryMethod
        fields = (
            "code",
            "name",
            "rate_kind",
            "fee",
            "free_above",
            "zones",
            "tax_rate",
            "min_days",
            "max_days",
            "is_pickup",
            "is_active",
            "sort_order",
        )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("rate_kind")
        if kind == DeliveryMethod.RateKind.FLAT and cleaned.get("fee") is None:
            self.add_error("fee", "A flat-fee method needs its fee (0 for free).")
        return cleaned


class ShippingZoneForm(forms.ModelForm):
    countries = forms.CharField(
        help_text="ISO country codes separated by commas or spaces, e.g. NL, BE, DE",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = ShippingZone
        fields = ("name", "countries")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["countries"] = ", ".join(self.instance.countries)

    def clean_countries(self):
        codes = [c.upper() for c in re.split(r"[\s,;]+", self.cleaned_data["countries"]) if c]
        unknown = [c for c in codes if c not in COUNTRY_NAMES]
        if unknown:
            raise forms.ValidationError(f"Unknown country code(s): {', '.join(unknown)}. Use ISO codes such as NL.")
        if not codes:
            raise forms.ValidationError("List at least one country code.")
        return sorted(set(codes))


@admin.register(ShippingZone)
class ShippingZoneAdmin(admin.ModelAdmin):
    """Destination zones of delivery methods; managers keep them (the orders permissions)."""

    form = ShippingZoneForm
    list_display = ("name", "countries_display")
    search_fields = ("name",)

    @admin.display(description="Countries")
    def countries_display(self, obj):
        return ", ".join(obj.countries)


@admin.register(DeliveryMethod)
class DeliveryMethodAdmin(admin.ModelAdmin):
    """Fees by rule: a flat fee or weight bands (the order's total product weight), free above a goods
    value before VAT and discounts, for the countries of its zones (none = every country)."""

    form = DeliveryMethodForm
    inlines = [WeightBandInline]
    list_display = (
        "name",
        "code",
        "rate_kind",
        "fee",
        "free_above",
        "tax_rate",
        "min_days",
        "max_days",
        "is_pickup",
        "is_active",
        "sort_order",
    )
    list_filter = ("is_active", "is_pickup", "rate_kind")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    filter_horizontal = ("zones",)


@admin.register(RiskRules)
class RiskRulesAdmin(admin.ModelAdmin):
    """One row of thresholds that verification reads; managers edit it."""

    list_display = (
        "__str__",
        "large_order_total",
        "first_order_total",
        "velocity_max_orders",
        "velocity_window_minutes",
        "duplicate_window_minutes",
        "hold_country_mismatch",
        "updated_at",
    )
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request):
        # Verification reads the row with pk=1 (RiskRules.current()); a second row would be ignored.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        return HttpResponseRedirect(reverse("admin:orders_riskrules_change", args=[RiskRules.current().pk]))
