"""Refunds in the staff console: the refund page of an order, the refund records with their two
buttons (a bank transfer sent, a failed refund tried again), and the queues "Refunds failed" and
"Refunds to transfer"."""

from decimal import Decimal

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from orders.models import Order
from orders.selectors import events_for_object
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, choices_filter, prefix, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import money_display
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, timeline_table
from orders_site.core.work_queues import ACCOUNTS, CUSTOMER_SERVICE, WorkQueue, work_queue_register

from ..forms import RefundForm, RefundRetryForm, RefundTransferredForm
from ..models import AmountOwedBack, Refund
from ..selectors import refunds_failed, refunds_failed_count, refunds_to_transfer, refunds_to_transfer_count
from ..services import order_refundable, refund_create, refund_mark_transferred, refund_retry
from ..services.refunds import PERMISSION


def _transferred(*, instance, actor, data, guard):
    return refund_mark_transferred(refund=instance, transfer_reference=data["transfer_reference"], actor=actor)


def _retry(*, instance, actor, data, guard):
    return refund_retry(refund=instance, actor=actor, iban=data["iban"], account_holder=data["account_holder"])


REFUND_ACTIONS = (
    StaffAction(
        name="mark_transferred",
        label="Mark as sent",
        transition="",
        when=lambda refund: refund.status == Refund.Status.PENDING and refund.method == Refund.Method.BANK_TRANSFER,
        permission=PERMISSION,
        run=_transferred,
        form_class=RefundTransferredForm,
        help_text="The transfer to the customer's account was made: the customer is told it is on its way.",
        done="Refund {obj} is now “{status}”.",
    ),
    StaffAction(
        name="retry",
        label="Try again",
        transition="retry",
        run=_retry,
        form_class=RefundRetryForm,
        help_text="To the card again (the gateway is asked with the same key: nothing is paid twice), "
        "or enter an IBAN to pay it back by bank transfer instead.",
        done="Refund {obj} is now “{status}”.",
    ),
)

RefundStatusFilter = choices_filter("status", "status", Refund.Status.choices)
RefundMethodFilter = choices_filter("method", "method", Refund.Method.choices)


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("failed", "Refunds failed"), ("transfer", "Bank transfers to send")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return refunds_failed(queryset)
        if self.value() == "transfer":
            return refunds_to_transfer(queryset)
        return queryset


@admin.register(Refund)
class RefundAdmin(StaffActionsMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refunds are made from an order's refund page (refund_new_view) and move on by their buttons."""

    staff_actions = REFUND_ACTIONS
    change_form_template = "admin/staff_actions/record_change_form.html"
    list_display = ("created_at", "order", "status_badge", "method", "amount_display", "reason", "failure_message")
    list_filter = (QueueFilter, RefundStatusFilter, RefundMethodFilter)
    list_select_related = ("order",)
    search_fields = (prefix("order__number"), prefix("gateway_reference"))
    search_help_text = "Order number or the gateway's refund reference, or how one begins."
    sortable_by = ("created_at",)
    fields = (
        "order",
        "status",
        "method",
        "amount",
        "reason",
        "payment",
        "iban",
        "account_holder",
        "gateway_reference",
        "transfer_reference",
        "failure_message",
        "created_by",
        "created_at",
        "succeeded_at",
        "idempotency_key",
        "timeline",
    )
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "for-order/<int:order_id>/",
                self.admin_site.admin_view(self.refund_new_view),
                name="invoicing_refund_new",
            ),
        ] + super().get_urls()

    @admin.display(description="status", ordering="status")
    def status_badge(self, refund):
        return status_badge(refund.status, refund.get_status_display())

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, refund):
        return money_display(refund.amount, refund.order.currency)

    @admin.display(description="timeline")
    def timeline(self, refund):
        return timeline_table(events_for_object(refund))

    def refund_new_view(self, request, order_id):
        """How much, how and why (invoicing.services.refunds.refund_create); ?owed=<id> pays back one
        amount owed back."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("customer"), pk=order_id)
        owed = None
        if request.GET.get("owed", "").isdigit():
            owed = AmountOwedBack.objects.filter(pk=int(request.GET["owed"]), order=order).first()
            if owed is None:
                raise Http404("No such amount owed back on this order")
        back = reverse("admin:orders_order_change", args=[order.pk])
        refundable = order_refundable(order=order)
        methods = _methods(order, refundable)
        if request.method == "POST":
            form = RefundForm(request.POST, methods=methods)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    refunds = refund_create(
                        order=order,
                        amount=data["amount"],
                        method=data["method"],
                        reason=data["reason"],
                        iban=data["iban"],
                        account_holder=data["account_holder"],
                        owed_back=owed,
                        actor=request.user,
                    )
                except ApplicationError as error:
                    field_name = error.extra.get("field")
                    form.add_error(field_name if field_name in form.fields else None, error.message)
                else:
                    self.message_user(request, _started(refunds, order), messages.SUCCESS)
                    return HttpResponseRedirect(back)
        else:
            amount = owed.amount if owed is not None else refundable.amount
            form = RefundForm(
                methods=methods,
                initial={
                    "amount": min(amount, refundable.amount) if refundable.amount else None,
                    "method": methods[0][0],
                    "reason": owed.reason if owed is not None else "",
                    "account_holder": order.customer.full_name,
                },
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Refund on order {order.number}",
            "order": order,
            "refundable": refundable,
            "owed": owed,
            "form": form,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/invoicing/refund/new.html", context)


def _methods(order: Order, refundable) -> list[tuple[str, str]]:
    methods = []
    if refundable.by_card > 0:
        methods.append(
            (Refund.Method.CARD, f"To the card ({money_display(refundable.by_card, order.currency)} paid by card)")
        )
    methods.append((Refund.Method.BANK_TRANSFER, "By bank transfer"))
    if order.customer.user_id is not None:
        methods.append((Refund.Method.STORE_CREDIT, "As store credit in the customer's account"))
    return methods


def _started(refunds: list[Refund], order: Order) -> str:
    total = sum((r.amount for r in refunds), Decimal("0"))
    refund = refunds[0]
    what = {
        Refund.Method.CARD: "the gateway is asked now; a failure shows under “Refunds failed”",
        Refund.Method.BANK_TRANSFER: "send the transfer, then mark it as sent under “Refunds to transfer”",
        Refund.Method.STORE_CREDIT: "it is in the customer's account now",
    }[refund.method]
    return f"Refund of {money_display(total, order.currency)} started: {what}."


def refund_link(order: Order, *, owed: AmountOwedBack | None = None) -> str:
    url = reverse("admin:invoicing_refund_new", args=[order.pk])
    return url + (f"?owed={owed.pk}" if owed is not None else "")


work_queue_register(
    WorkQueue(
        key="invoicing.refunds_failed",
        heading=CUSTOMER_SERVICE,
        title="Refunds failed",
        permission="invoicing.view_refund",
        count=refunds_failed_count,
        changelist="admin:invoicing_refund_changelist",
        query={"queue": "failed"},
        help_text="The gateway declined or never answered: try again, or pay back by bank transfer",
        position=91,
    )
)
work_queue_register(
    WorkQueue(
        key="invoicing.refunds_to_transfer",
        heading=ACCOUNTS,
        title="Refunds to transfer",
        permission="invoicing.view_refund",
        count=refunds_to_transfer_count,
        changelist="admin:invoicing_refund_changelist",
        query={"queue": "transfer"},
        help_text="Bank transfers to customers still to send",
        position=92,
    )
)
