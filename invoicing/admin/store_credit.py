"""Store credit in the staff console: each customer's balance with its ledger (read-only, append-only)
and the "Give store credit" page."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from orders.models import Customer
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, prefix
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import money_display

from ..forms import StoreCreditForm
from ..models import StoreCreditAccount, StoreCreditEntry
from ..selectors import store_credit_balance
from ..services import store_credit_issue
from ..services.store_credit import PERMISSION


class StoreCreditEntryInline(ReadOnlyInline, admin.TabularInline):
    model = StoreCreditEntry
    fk_name = "account"
    fields = ("created_at", "kind", "amount", "balance_after", "reason", "order", "expires_on", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    show_change_link = False


@admin.register(StoreCreditAccount)
class StoreCreditAccountAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("customer", "balance_display", "updated_at")
    list_select_related = ("customer",)
    search_fields = (prefix("customer__email", ignore_case=True), prefix("customer__full_name", ignore_case=True))
    search_help_text = "How the customer's e-mail address or name begins (any case)."
    ordering = ("-balance", "id")
    sortable_by = ()
    fields = ("customer", "balance_display", "give_link", "updated_at")
    readonly_fields = fields
    inlines = (StoreCreditEntryInline,)

    def get_urls(self):
        return [
            path(
                "give/<int:customer_id>/",
                self.admin_site.admin_view(self.give_view),
                name="invoicing_storecredit_give",
            ),
        ] + super().get_urls()

    @admin.display(description="balance", ordering="balance")
    def balance_display(self, account):
        return money_display(account.balance, account.currency)

    @admin.display(description="")
    def give_link(self, account):
        return format_html(
            '<a class="button" href="{}">Give store credit</a>',
            reverse("admin:invoicing_storecredit_give", args=[account.customer_id]),
        )

    def give_view(self, request, customer_id):
        """Amount, reason and optional expiry (invoicing.services.store_credit.store_credit_issue)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        customer = get_object_or_404(Customer, pk=customer_id)
        back = reverse("admin:orders_customer_change", args=[customer.pk])
        form = StoreCreditForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = store_credit_issue(
                    customer=customer,
                    amount=data["amount"],
                    reason=data["reason"],
                    expires_on=data["expires_on"],
                    actor=request.user,
                )
            except ApplicationError as error:
                field_name = error.extra.get("field")
                form.add_error(field_name if field_name in form.fields else None, error.message)
            else:
                self.message_user(
                    request,
                    f"{money_display(entry.amount, entry.account.currency)} of store credit given to {customer}: "
                    f"the balance is {money_display(entry.balance_after, entry.account.currency)}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Give store credit to {customer}",
            "customer": customer,
            "balance": store_credit_balance(customer_id=customer.pk),
            "form": form,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/invoicing/storecreditaccount/give.html", context)


@admin.register(StoreCreditEntry)
class StoreCreditEntryAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The whole ledger, newest first: append-only, so read-only."""

    list_display = ("created_at", "account", "kind", "amount", "balance_after", "reason", "order")
    list_filter = ("kind",)
    list_select_related = ("account__customer", "order")
    search_fields = (prefix("account__customer__email", ignore_case=True), prefix("order__number"))
    sortable_by = ()
    fields = list_display + ("expires_on", "created_by", "refund", "payment")
    readonly_fields = fields
