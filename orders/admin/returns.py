"""Returns (RMA) in the staff console: the records with their buttons (authorise, refuse, credit
and refund), the receiving page (per line: back on the shelf or written off), a return opened for
a customer from the order page, the printable slip, and the three queues."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from inventory.models import Warehouse
from lifecycle.return_slips import return_slip_pdf
from lifecycle.returns import return_request_receive, return_request_refund
from orders.models import Order, ReturnLine, ReturnRequest
from orders.selectors import events_for_object
from orders.selectors.return_requests import (
    returnable_lines,
    returns_authorised_count,
    returns_in,
    returns_received_count,
    returns_requested_count,
)
from orders.services.return_requests import (
    PERMISSION,
    return_request_authorise,
    return_request_create,
    return_request_refuse,
    units_field,
)
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, ReadOnlyInline, prefix, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, timeline_table
from orders_site.core.work_queues import CUSTOMER_SERVICE, WAREHOUSE, WorkQueue, work_queue_register


class RefuseForm(forms.Form):
    reason = forms.CharField(label="Why (the customer reads it)", max_length=300)


class RefundForm(forms.Form):
    iban = forms.CharField(
        label="IBAN", max_length=42, required=False, help_text="Only when the order was not paid by card"
    )
    account_holder = forms.CharField(label="Account holder", max_length=200, required=False)


RETURN_ACTIONS = (
    StaffAction(
        name="authorise",
        label="Authorise",
        transition="authorise",
        run=lambda *, instance, actor, data, guard: return_request_authorise(
            return_request=instance, actor=actor, expected_status=guard["expected_status"]
        ),
        help_text="The customer gets the return number, the instructions and a return slip by e-mail.",
        done="Return {obj} is now “{status}”: the customer has the instructions.",
    ),
    StaffAction(
        name="refuse",
        label="Refuse",
        transition="refuse",
        danger=True,
        form_class=RefuseForm,
        run=lambda *, instance, actor, data, guard: return_request_refuse(
            return_request=instance, reason=data["reason"], actor=actor, expected_status=guard["expected_status"]
        ),
        done="Return {obj} is now “{status}”; the customer was told why.",
    ),
    StaffAction(
        name="refund",
        label="Credit and refund",
        transition="close",
        form_class=RefundForm,
        run=lambda *, instance, actor, data, guard: return_request_refund(
            return_request=instance, actor=actor, iban=data["iban"], account_holder=data["account_holder"]
        ),
        help_text="A credit note for what arrived, and the money back: to the card, by bank transfer or as "
        "store credit, as the customer chose.",
        done="Return {obj} is now “{status}”: credit note issued and the money on its way back.",
    ),
)


class ReturnLineInline(ReadOnlyInline, admin.TabularInline):
    model = ReturnLine
    fields = ("order_line", "quantity", "restocked", "written_off", "write_off_reason")
    readonly_fields = fields


class QueueFilter(admin.SimpleListFilter):
    title = "queue"
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [
            (ReturnRequest.Status.REQUESTED, "Returns requested"),
            (ReturnRequest.Status.AUTHORISED, "Authorised, awaiting arrival"),
            (ReturnRequest.Status.RECEIVED, "Received, awaiting refund"),
        ]

    def queryset(self, request, queryset):
        return returns_in(self.value(), queryset) if self.value() else queryset


@admin.register(ReturnRequest)
class ReturnRequestAdmin(StaffActionsMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    staff_actions = RETURN_ACTIONS
    change_form_template = "admin/staff_actions/record_change_form.html"
    list_display = ("number", "created_at", "order", "status_badge", "reason", "refund_to")
    list_filter = (QueueFilter, "status")
    list_select_related = ("order",)
    search_fields = (prefix("number", capitals=True), prefix("order__number"))
    search_help_text = "Return (RMA) or order number, or how one begins."
    sortable_by = ("created_at",)
    inlines = (ReturnLineInline,)
    fields = (
        "number",
        "order",
        "status",
        "reason",
        "comment",
        "refund_to",
        "iban",
        "account_holder",
        "warehouse",
        "refusal_reason",
        "credit_note_number",
        "replacement",
        "created_at",
        "authorised_at",
        "received_at",
        "closed_at",
        "timeline",
    )
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="orders_returnrequest_receive",
            ),
            path(
                "<path:object_id>/slip/", self.admin_site.admin_view(self.slip_view), name="orders_returnrequest_slip"
            ),
            path(
                "for-order/<int:order_id>/",
                self.admin_site.admin_view(self.open_view),
                name="orders_returnrequest_open",
            ),
        ] + super().get_urls()

    @admin.display(description="status", ordering="status")
    def status_badge(self, return_request):
        return status_badge(return_request.status, return_request.get_status_display())

    @admin.display(description="timeline")
    def timeline(self, return_request):
        return timeline_table(events_for_object(return_request))

    def staff_links(self, request, obj):
        links = []
        if obj.status != ReturnRequest.Status.REQUESTED and obj.status != ReturnRequest.Status.REFUSED:
            links.append(("Return slip (PDF)", reverse("admin:orders_returnrequest_slip", args=[obj.pk])))
        if obj.replacement_id and request.user.has_perm("orders.add_quote"):
            links.append(
                ("Replacement order (order desk)", reverse("admin:orders_quote_desk_open", args=[obj.replacement_id]))
            )
        if obj.status == ReturnRequest.Status.AUTHORISED and request.user.has_perm("orders.receive_returns"):
            links.append(("Receive the goods", reverse("admin:orders_returnrequest_receive", args=[obj.pk])))
        return links

    def slip_view(self, request, object_id):
        return_request = self.get_object(request, unquote(object_id))
        if return_request is None:
            raise Http404("No such return")
        response = HttpResponse(return_slip_pdf(return_request=return_request), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="return-slip-{return_request.number}.pdf"'
        return response

    def receive_view(self, request, object_id):
        """Per line: units back on the shelf and units written off, the warehouse, the reason."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm("orders.receive_returns"):
            raise PermissionDenied
        return_request = self.get_object(request, unquote(object_id))
        if return_request is None:
            raise Http404("No such return")
        back = reverse("admin:orders_returnrequest_change", args=[return_request.pk])
        lines = list(return_request.lines.select_related("order_line").order_by("pk"))
        form = ReceiveForm(request.POST or None, lines=lines, warehouse=return_request.warehouse)
        if request.method == "POST" and form.is_valid():
            try:
                return_request_receive(
                    return_request=return_request,
                    received=form.received(),
                    warehouse=form.cleaned_data["warehouse"],
                    write_off_reason=form.cleaned_data["write_off_reason"],
                    actor=request.user,
                )
            except ApplicationError as error:
                field = error.extra.get("field")
                form.add_error(field if field in form.fields else None, error.message)
            else:
                self.message_user(request, f"Return {return_request} received; the stock is updated.", messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Receive return {return_request}",
            "return_request": return_request,
            "form": form,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/orders/returnrequest/receive.html", context)

    def open_view(self, request, order_id):
        """Customer service opens a return for a customer on the phone (past the window if need be)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.select_related("customer"), pk=order_id)
        back = reverse("admin:orders_order_change", args=[order.pk])
        returnable = [entry for entry in returnable_lines(order=order) if entry.left]
        form = OpenReturnForm(
            request.POST or None, returnable=returnable, can_store_credit=order.customer.user_id is not None
        )
        if request.method == "POST" and form.is_valid():
            try:
                return_request = return_request_create(
                    order=order,
                    units=form.units(),
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                    refund_to=form.cleaned_data["refund_to"],
                    iban=form.cleaned_data["iban"],
                    account_holder=form.cleaned_data["account_holder"],
                    actor=request.user,
                    for_customer=True,
                )
            except ApplicationError as error:
                field = error.extra.get("field")
                form.add_error(field if field in form.fields else None, error.message)
            else:
                self.message_user(
                    request, f"Return {return_request} opened; authorise it to send the instructions.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:orders_returnrequest_change", args=[return_request.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Open a return on order {order.number}",
            "order": order,
            "form": form,
            "back_url": back,
            "today": timezone.localdate(),
        }
        return TemplateResponse(request, "admin/orders/returnrequest/open.html", context)


class ReceiveForm(forms.Form):
    warehouse = forms.ModelChoiceField(label="Back into", queryset=Warehouse.objects.filter(is_active=True))
    write_off_reason = forms.CharField(label="Why written off", max_length=200, required=False)

    def __init__(self, *args, lines, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.fields["warehouse"].initial = warehouse
        for line in lines:
            for name, label in ((f"restock_{line.pk}", "back on the shelf"), (f"write_off_{line.pk}", "written off")):
                self.fields[name] = forms.IntegerField(
                    label=f"{line.order_line.sku}: {label}",
                    min_value=0,
                    max_value=line.quantity,
                    required=False,
                    initial=line.quantity if name.startswith("restock") else 0,
                    widget=forms.NumberInput(attrs={"size": 4, "inputmode": "numeric"}),
                    error_messages={"invalid": "Enter a whole number.", "max_value": f"At most {line.quantity}."},
                )

    def rows(self):
        return [(line, self[f"restock_{line.pk}"], self[f"write_off_{line.pk}"]) for line in self.lines]

    def received(self) -> dict[int, tuple[int, int]]:
        data = self.cleaned_data
        return {
            line.pk: (data.get(f"restock_{line.pk}") or 0, data.get(f"write_off_{line.pk}") or 0) for line in self.lines
        }


class OpenReturnForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=ReturnRequest.Reason.choices)
    comment = forms.CharField(label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    refund_to = forms.ChoiceField(label="Money back", choices=ReturnRequest.RefundTo.choices)
    iban = forms.CharField(label="IBAN (bank transfer refund)", max_length=42, required=False)
    account_holder = forms.CharField(label="Account holder", max_length=200, required=False)

    def __init__(self, *args, returnable, can_store_credit, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = returnable
        if not can_store_credit:
            self.fields["refund_to"].choices = [
                (ReturnRequest.RefundTo.ORIGINAL, ReturnRequest.RefundTo.ORIGINAL.label)
            ]
        for entry in returnable:
            self.fields[units_field(entry.line.pk)] = forms.IntegerField(
                label=f"{entry.line.sku} {entry.line.name} (up to {entry.left})",
                min_value=0,
                required=False,
                widget=forms.NumberInput(attrs={"size": 4, "inputmode": "numeric"}),
            )

    def rows(self):
        return [(entry, self[units_field(entry.line.pk)]) for entry in self.entries]

    def units(self) -> dict[int, int]:
        return {
            entry.line.pk: self.cleaned_data.get(units_field(entry.line.pk)) or 0
            for entry in self.entries
            if self.cleaned_data.get(units_field(entry.line.pk))
        }


# Who works each queue: customer service decides and refunds, the warehouse receives.
for key, heading, title, status, permission, help_text, position in (
    ("returns.requested", CUSTOMER_SERVICE, "Returns requested", "requested", PERMISSION, "Authorise or refuse", 95),
    (
        "returns.authorised",
        WAREHOUSE,
        "Returns on their way back",
        "authorised",
        "orders.receive_returns",
        "Receive them when they arrive",
        95,
    ),
    ("returns.received", CUSTOMER_SERVICE, "Returns to refund", "received", PERMISSION, "Credit and refund", 96),
):
    work_queue_register(
        WorkQueue(
            key=key,
            heading=heading,
            title=title,
            permission=permission,
            count={
                "requested": returns_requested_count,
                "authorised": returns_authorised_count,
                "received": returns_received_count,
            }[status],
            changelist="admin:orders_returnrequest_changelist",
            query={"queue": status},
            help_text=help_text,
            position=position,
        )
    )
