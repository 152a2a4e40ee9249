"""The order page: queues, the record with its timeline, and the buttons that move an order on."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from invoicing.services import payment_record_before_invoice
from lifecycle.cancellation import order_cancel
from orders.models import Order
from orders.selectors import hold_checks_prefetch, hold_reason_label, hold_reasons_of
from orders.services.comments import order_comment_add
from orders.services.fulfillment import order_fulfillment_start, waits_for_payment
from orders.services.partial_fulfilment import order_fulfillment_start_partial
from orders.services.verification import order_release, order_reverify
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display, money_display
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin
from reports.admin.filters import ReportFilter, WarehouseFilter

from .forms import NoteForm, ReasonForm, StaffCommentForm
from .order_edits import order_edit_view
from .order_page import comment_draft_keep, order_page_context
from .queues import HoldReasonFilter, PrepaymentFilter

# Each order is its own transaction; a page of the queue at a time keeps a request short.
BULK_LIMIT = 200

# -- the buttons -------------------------------------------------------------------------------------


def _release(*, instance, actor, data, guard):
    return order_release(order=instance, actor=actor, note=data["note"], expected_status=guard["expected_status"])


def _reverify(*, instance, actor, data, guard):
    return order_reverify(order=instance, actor=actor)


def _start_fulfillment(*, instance, actor, data, guard):
    return order_fulfillment_start(order=instance, actor=actor, expected_status=guard["expected_status"])


def _start_partial_fulfillment(*, instance, actor, data, guard):
    return order_fulfillment_start_partial(order=instance, actor=actor, expected_status=guard["expected_status"])


class PrepaymentForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": "Enter the amount as a number, for example 125.50."},
    )
    reference = forms.CharField(label="Bank reference", max_length=100, required=False)


def _prepayment(*, instance, actor, data, guard):
    return payment_record_before_invoice(
        order=instance, amount=data["amount"], method=instance.payment_method, reference=data["reference"], actor=actor
    )


def _cancel(*, instance, actor, data, guard):
    return order_cancel(order=instance, actor=actor, reason=data["reason"], expected_status=guard["expected_status"])


ORDER_ACTIONS = (
    StaffAction(
        name="reverify",
        label="Re-check",
        transition="verify",
        when=lambda order: order.status == Order.Status.ON_HOLD,
        # order_reverify checks no permission itself: the button is for those who may verify.
        permission="orders.verify_order",
        run=_reverify,
        help_text="Run every verification check again (after fixing the address, say).",
        done="Re-checked order {obj}: it is now “{status}”.",
    ),
    StaffAction(
        name="release",
        label="Release",
        transition="verify",
        run=_release,
        form_class=NoteForm,
        help_text="Verify the order as it is and send it on to the warehouse.",
    ),
    StaffAction(
        name="start_fulfillment",
        label="Start fulfilment",
        transition="start_fulfillment",
        run=_start_fulfillment,
        help_text="Create the shipments and put them in the warehouse's picking queue.",
    ),
    StaffAction(
        name="ship_available",
        label="Ship what is in stock now",
        transition="start_partial_fulfillment",
        run=_start_partial_fulfillment,
        help_text=(
            "Send the allocated part to the warehouse; the back-ordered rest stays on the order and "
            "gets its own parcel when the stock arrives."
        ),
        done="{verbose_name} {obj} is now “{status}”: what is in stock goes ahead, the rest follows.",
    ),
    StaffAction(
        name="record_prepayment",
        label="Record payment before release",
        transition="",
        when=waits_for_payment,
        permission="invoicing.record_payment",
        run=_prepayment,
        form_class=PrepaymentForm,
        initial=lambda order: {"amount": order.total},
        help_text="The customer's bank transfer arrived: once the order is paid in full it can go to the warehouse.",
        done="Payment recorded on order {obj}.",
    ),
    StaffAction(
        name="cancel",
        label="Cancel order",
        transition="cancel",
        run=_cancel,
        form_class=ReasonForm,
        danger=True,
        help_text="Releases the stock, cancels unsent parcels and voids card authorisations.",
    ),
)


# -- the order admin -----------------------------------------------------------------------------------

# How much of a hold reason's detail the list shows (all of it is in the cell's tooltip and on the
# order's page).
HOLD_DETAIL_CHARS = 60


@admin.register(Order)
class OrderAdmin(StaffActionsMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Orders are placed and changed only by services; this page shows them and offers the buttons."""

    staff_actions = ORDER_ACTIONS
    # What a person works the list by, readable at 1280 px (tests/browser/test_staff_console.py);
    # the channel is a filter.
    list_display = ("number", "placed_at", "customer_name", "status_badge", "payment", "total_display", "hold_reasons")
    # Each filter and the ordering have an index (Order.Meta.indexes); "placed" replaces a date
    # drill-down, which would read the whole table for its dates.
    list_filter = (
        "status",
        "payment_standing",
        PrepaymentFilter,
        "channel",
        HoldReasonFilter,
        "payment_method",
        "placed_at",
        # The dashboard's links (shown only while in use): the orders behind a figure, by warehouse.
        ReportFilter,
        WarehouseFilter,
    )
    list_select_related = ("customer",)
    search_fields = (prefix("number"), prefix("email", ignore_case=True), prefix("customer__email", ignore_case=True))
    search_help_text = "Order number or customer e-mail, or how either begins."
    ordering = ("-placed_at", "-pk")
    sortable_by = ("number", "placed_at")
    actions = ("recheck_selected", "release_selected", "cancel_selected")
    # The page is the record template's cards (templates/admin/orders/order/change_form.html), fed by
    # the selectors; nothing on it is a model form field (services write every row).
    change_form_template = "admin/orders/order/change_form.html"
    fields = ("number",)

    # "Add order" leads to the order desk (orders/admin/order_desk.py), for those who may add orders.
    def has_add_permission(self, request):
        return request.user.has_perm("orders.add_order")

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:orders_quote_desk"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("customer", "shipping_address", "billing_address", "placed_by")
            .prefetch_related(hold_checks_prefetch())
        )

    # -- list columns ---

    @admin.display(description="customer")
    def customer_name(self, order):
        return format_html('<span title="{}">{}</span>', order.customer.email, order.customer.full_name)

    @admin.display(description="status")
    def status_badge(self, order):
        return status_badge(order.status, order.get_status_display())

    @admin.display(description="payment", ordering="payment_standing")
    def payment(self, order):
        if order.status in (Order.Status.DRAFT, Order.Status.CANCELLED) and order.payment_standing == "unpaid":
            return ""
        return status_badge(order.payment_standing, order.get_payment_standing_display())

    @admin.display(description="total")
    def total_display(self, order):
        return money_display(order.total, order.currency)

    @admin.display(description="hold reason")
    def hold_reasons(self, order):
        if order.status != Order.Status.ON_HOLD:
            return ""
        return format_html_join(
            mark_safe("<br>"),
            '<span class="hold-reason" title="{}"><strong>{}</strong> {}</span>',
            (
                (check.detail, hold_reason_label(check.name), Truncator(check.detail).chars(HOLD_DETAIL_CHARS))
                for check in hold_reasons_of(order)
            ),
        )

    # -- the order page ---

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/comment/",
                self.admin_site.admin_view(self.staff_comment_view),
                name="orders_order_staff_comment",
            ),
            path("<path:object_id>/edit/", self.admin_site.admin_view(self.edit_view), name="orders_order_edit"),
        ]
        return own + super().get_urls()

    def edit_view(self, request, object_id):
        """The "Edit order" page (orders/admin/order_edits.py): customer service and managers."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return order_edit_view(self, request, order)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context.update(order_page_context(request, obj))
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def staff_comment_view(self, request, object_id):
        """POST: add the staff comment through the service; back to the order page either way."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, order):
            raise PermissionDenied
        back = HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]) + "#timeline")
        form = StaffCommentForm(data=request.POST)
        text = form.cleaned_data["comment"] if form.is_valid() else request.POST.get("comment", "")
        try:
            order_comment_add(order=order, actor=request.user, text=text)
        except ApplicationError as error:
            comment_draft_keep(request, order, text=text, error=error.message)
            self.message_user(request, f"Comment not added: {error.message}", messages.ERROR)
            return back
        self.message_user(request, "Comment added to the timeline (staff only).", messages.SUCCESS)
        return back

    # -- permissions of the bulk actions ---

    def has_verify_permission(self, request):
        return request.user.has_perm("orders.verify_order")

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.cancel_order")

    # -- bulk actions for the on-hold queue ---

    def _bulk_report(self, request, orders, run, verb: str) -> None:
        if len(orders) > BULK_LIMIT:
            self.message_user(
                request, f"Choose at most {BULK_LIMIT} orders at a time; nothing was done.", messages.ERROR
            )
            return
        done, refused = [], []
        for order in orders:
            try:
                run(order)
            except ApplicationError as error:
                refused.append(f"{order.number}: {error.message}")
            else:
                done.append(order.number)
        if done:
            self.message_user(
                request, f"{verb} {count_display(len(done), 'order')}: {', '.join(done)}.", messages.SUCCESS
            )
        if refused:
            self.message_user(
                request, f"Refused for {count_display(len(refused), 'order')}: " + " · ".join(refused), messages.ERROR
            )

    def _bulk_with_text(self, request, queryset, *, action_name, title, form_class, field, run, verb, danger=False):
        """First POST: a confirmation page asking for the note or reason; second POST (`apply`): run."""
        orders = list(queryset.order_by("pk")[: BULK_LIMIT + 1])
        if len(orders) > BULK_LIMIT:
            return self._bulk_report(request, orders, None, verb)
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                text = form.cleaned_data[field]
                seen = {order.pk: request.POST.get(f"expected_status_{order.pk}", "") for order in orders}

                def run_one(order):
                    if not seen[order.pk]:
                        raise ApplicationError("the page was out of date; nothing was done. Try again.")
                    return run(order, text, seen[order.pk])

                self._bulk_report(request, orders, run_one, verb)
                return None
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "orders": orders,
            "form": form,
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "danger": danger,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/staff_actions/bulk_confirm.html", context)

    @admin.action(description="Re-check selected held orders", permissions=["verify"])
    def recheck_selected(self, request, queryset):
        self._bulk_report(
            request,
            list(queryset.order_by("pk")[: BULK_LIMIT + 1]),
            lambda order: order_reverify(order=order, actor=request.user),
            "Re-checked",
        )

    @admin.action(description="Release selected orders (with a note)…", permissions=["verify"])
    def release_selected(self, request, queryset):
        return self._bulk_with_text(
            request,
            queryset,
            action_name="release_selected",
            title="Release these orders",
            form_class=NoteForm,
            field="note",
            run=lambda order, note, seen: order_release(
                order=order, actor=request.user, note=note, expected_status=seen
            ),
            verb="Released",
        )

    @admin.action(description="Cancel selected orders (with a reason)…", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        return self._bulk_with_text(
            request,
            queryset,
            action_name="cancel_selected",
            title="Cancel these orders",
            form_class=ReasonForm,
            field="reason",
            run=lambda order, reason, seen: order_cancel(
                order=order, actor=request.user, reason=reason, expected_status=seen
            ),
            verb="Cancelled",
            danger=True,
        )
