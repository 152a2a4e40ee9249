"""Invoices and payments in the staff console: read-only records, the PDF, and "Record payment"."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from lifecycle.credit_notes import credit_note_issue
from lifecycle.settlement import payment_record
from orders.admin.order_page import record_timeline
from orders.models import Order, OrderEvent
from orders.selectors import events_for_object
from orders_site.core.admin import (
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    choices_filter,
    prefix,
    status_badge,
)
from orders_site.core.exceptions import ApplicationError, TransitionRefused
from orders_site.core.formatting import money_display, rate_display
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, admin_link, timeline_table
from orders_site.core.work_queues import ACCOUNTS, CUSTOMER_SERVICE, WorkQueue, work_queue_register

from ..forms import CreditNoteForm
from ..models import AmountOwedBack, CreditNote, CreditNoteLine, Invoice, InvoiceLine, InvoiceReminder, Payment
from ..selectors import (
    amounts_owed_back_open,
    amounts_owed_back_open_count,
    invoice_is_overdue,
    invoices_open,
    invoices_open_count,
    invoices_overdue,
    invoices_overdue_count,
)
from ..services import credit_note_pdf_ensure, invoice_creditable, invoice_pdf_ensure
from ..services.credit_notes import CREDITABLE, units_field
from ..services.credit_notes import PERMISSION as CREDIT_PERMISSION
from ..services.einvoices import (
    credit_note_document,
    credit_note_facturx_pdf,
    einvoice_xml,
    invoice_document,
    invoice_facturx_pdf,
)
from ..services.refunds import PERMISSION as REFUND_PERMISSION
from ..services.reminders import HOLD_PERMISSION, REMINDABLE, invoice_reminders_hold
from .receivables import ReceivablesPagesMixin
from .refunds import refund_link

# What staff record is money already received, by the way it arrived: not "card" (card payments at
# checkout go through the gateway) and not "on_invoice" (an agreement to pay later, by bank transfer).
NOT_RECORDABLE = {Order.PaymentMethod.CARD, Order.PaymentMethod.ON_INVOICE}
RECORDABLE_METHODS = [(value, label) for value, label in Order.PaymentMethod.choices if value not in NOT_RECORDABLE]


class PaymentRecordForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": "Enter the amount as a number, for example 125.50."},
    )
    method = forms.ChoiceField(label="Method", choices=RECORDABLE_METHODS)
    reference = forms.CharField(
        label="Reference", max_length=100, required=False, help_text="Bank reference, receipt number…"
    )


class ReminderHoldForm(forms.Form):
    reason = forms.CharField(label="Why is it disputed?", max_length=300)


class ReminderResumeForm(forms.Form):
    reason = forms.CharField(label="How was it settled?", max_length=300, required=False)


def _payment_initial(invoice: Invoice) -> dict:
    method = invoice.order.payment_method
    return {
        "amount": invoice.balance_due,
        "method": method if method in dict(RECORDABLE_METHODS) else Order.PaymentMethod.BANK_TRANSFER,
    }


def _payment_guard(invoice: Invoice) -> dict[str, str]:
    return {"expected_amount_paid": str(invoice.amount_paid)}


def _payment_record(*, instance, actor, data, guard):
    try:
        seen_paid = Decimal(guard["expected_amount_paid"])
    except InvalidOperation as error:
        raise TransitionRefused("This form came from an out-of-date page; nothing was done. Reload it.") from error
    return payment_record(
        invoice=instance,
        amount=data["amount"],
        method=data["method"],
        reference=data["reference"],
        actor=actor,
        expected_amount_paid=seen_paid,
    )


INVOICE_ACTIONS = (
    StaffAction(
        name="record_payment",
        label="Record payment",
        # Open while the invoice can still be paid, to those who may record payments.
        transition="mark_paid",
        run=_payment_record,
        form_class=PaymentRecordForm,
        initial=_payment_initial,
        guard=_payment_guard,
        help_text="Money received by bank transfer, cash or card in person. Full payment completes the order.",
        done="Payment recorded: invoice {obj} is now “{status}”.",
    ),
    StaffAction(
        name="hold_reminders",
        label="Hold reminders (disputed)",
        transition="",
        when=lambda invoice: invoice.status in REMINDABLE and not invoice.reminders_on_hold,
        permission=HOLD_PERMISSION,
        run=lambda *, instance, actor, data, guard: invoice_reminders_hold(
            invoice=instance, on_hold=True, reason=data["reason"], actor=actor
        ),
        form_class=ReminderHoldForm,
        help_text="The customer disputes the invoice: no payment reminder goes out until you resume them.",
        done="The reminders of invoice {obj} are on hold.",
    ),
    StaffAction(
        name="resume_reminders",
        label="Resume reminders",
        transition="",
        when=lambda invoice: invoice.reminders_on_hold,
        permission=HOLD_PERMISSION,
        run=lambda *, instance, actor, data, guard: invoice_reminders_hold(
            invoice=instance, on_hold=False, reason=data.get("reason", ""), actor=actor
        ),
        form_class=ReminderResumeForm,
        help_text="The dispute is settled: the next reminder due goes out with the next run.",
        done="The reminders of invoice {obj} are resumed.",
    ),
)


def _einvoice_response(request, name: str, make_pdf, make_document, **row) -> HttpResponse:
    """A Factur-X download, or with ?format=xml its CII XML alone (schema-checked either way)."""
    if request.GET.get("format") == "xml":
        (instance,) = row.values()
        response = HttpResponse(einvoice_xml(make_document(instance)), content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="{name}.xml"'
        return response
    response = HttpResponse(make_pdf(**row), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}-factur-x.pdf"'
    return response


class InvoiceLineInline(ReadOnlyInline, admin.TabularInline):
    model = InvoiceLine
    fields = (
        "sku",
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "discount_amount",
        "net_amount",
        "tax_amount",
        "line_total",
    )
    readonly_fields = fields


class PaymentInline(ReadOnlyInline, admin.TabularInline):
    model = Payment
    fields = ("created_at", "method", "amount", "status", "reference", "captured_at", "recorded_by")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class InvoiceReminderInline(ReadOnlyInline, admin.TabularInline):
    model = InvoiceReminder
    fields = ("sent_at", "level", "days_overdue", "amount_due", "fee")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("level")


class CreditNoteInline(ReadOnlyInline, admin.TabularInline):
    model = CreditNote
    fields = ("number_link", "issued_at", "reason", "total", "created_by")
    readonly_fields = fields
    extra = 0

    @admin.display(description="credit note")
    def number_link(self, credit_note):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:invoicing_creditnote_change", args=[credit_note.pk]),
            credit_note.number,
        )


class OverdueFilter(admin.SimpleListFilter):
    title = "payment"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("overdue", "Overdue")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return invoices_open(queryset)
        if self.value() == "overdue":
            return invoices_overdue(queryset)
        return queryset


def _money_field(name: str, description: str):
    @admin.display(description=description)
    def show(self, invoice):
        return money_display(getattr(invoice, name), invoice.currency)

    return show


@admin.register(Invoice)
class InvoiceAdmin(
    ReceivablesPagesMixin, StaffActionsMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    """Invoices are issued by a service at delivery and corrected only by credit note."""

    staff_actions = INVOICE_ACTIONS
    change_form_template = "admin/staff_actions/record_change_form.html"
    list_display = (
        "number",
        "order",
        "status_badge",
        "issued_at",
        "due_date",
        "billing_name",
        "total_display",
        "balance_display",
    )
    list_filter = ("status", OverdueFilter, "issued_at")
    list_select_related = ("order",)
    search_fields = (
        prefix("number", capitals=True),
        prefix("order__number"),
        prefix("order__email", ignore_case=True),
        prefix("billing_name", ignore_case=True),
    )
    search_help_text = "Invoice or order number, customer e-mail or billing name, or how one begins."
    sortable_by = ("number", "issued_at")
    inlines = (InvoiceLineInline, PaymentInline, CreditNoteInline, InvoiceReminderInline)
    # The key figures first: what it is, what it comes to and what is still owed, then who it bills.
    fieldsets = (
        (None, {"fields": ("number", "order", "status", "issued_at", "due_date", "payment_terms", "pdf_link")}),
        ("Reminders", {"fields": ("reminders_on_hold", "reminders_hold_reason")}),
        (
            "Totals",
            {
                "fields": (
                    "total_money",
                    "paid_money",
                    "credited_money",
                    "balance",
                    "subtotal_money",
                    "discount_money",
                    "shipping_money",
                    "tax_money",
                    "tax_per_rate",
                )
            },
        ),
        ("Bill to", {"fields": ("billing_name", "billing_address")}),
    )
    readonly_fields = (
        "number",
        "order",
        "status",
        "issued_at",
        "due_date",
        "payment_terms",
        "reminders_on_hold",
        "reminders_hold_reason",
        "pdf_link",
        "billing_name",
        "billing_address",
        "total_money",
        "paid_money",
        "credited_money",
        "balance",
        "subtotal_money",
        "discount_money",
        "shipping_money",
        "tax_money",
        "tax_per_rate",
    )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="invoicing_invoice_pdf",
            ),
            path(
                "<path:object_id>/credit-note/",
                self.admin_site.admin_view(self.credit_note_view),
                name="invoicing_invoice_credit_note",
            ),
            path(
                "<path:object_id>/einvoice/",
                self.admin_site.admin_view(self.einvoice_view),
                name="invoicing_invoice_einvoice",
            ),
        ] + super().get_urls()

    def einvoice_view(self, request, object_id):
        """The invoice as Factur-X (PDF/A-3 with the CII XML inside), or ?format=xml the XML alone."""
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None or invoice.number is None:
            raise Http404("No such issued invoice")
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        return _einvoice_response(
            request, f"invoice-{invoice.number}", invoice_facturx_pdf, invoice_document, invoice=invoice
        )

    def staff_links(self, request, invoice):
        if invoice.number is None:
            return []
        links = [
            ("Download PDF", reverse("admin:invoicing_invoice_pdf", args=[invoice.pk])),
            ("E-invoice (Factur-X)", reverse("admin:invoicing_invoice_einvoice", args=[invoice.pk])),
            ("E-invoice XML", reverse("admin:invoicing_invoice_einvoice", args=[invoice.pk]) + "?format=xml"),
        ]
        if invoice.status in CREDITABLE and request.user.has_perm(CREDIT_PERMISSION):
            links.append(("Issue credit note", reverse("admin:invoicing_invoice_credit_note", args=[invoice.pk])))
        return links

    def credit_note_view(self, request, object_id):
        """Units per line, the delivery fee, an amount and the reason (invoicing.services.credit_notes)."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(CREDIT_PERMISSION):
            raise PermissionDenied
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            raise Http404("No such invoice")
        back = reverse("admin:invoicing_invoice_change", args=[invoice.pk])
        if invoice.status not in CREDITABLE:
            self.message_user(
                request,
                f"Invoice {invoice} is {invoice.get_status_display().lower()}; it cannot be credited.",
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        creditable = invoice_creditable(invoice=invoice)
        form_kwargs = {"creditable": creditable, "field_name": units_field}
        if request.method == "POST":
            form = CreditNoteForm(request.POST, **form_kwargs)
            if form.is_valid():
                try:
                    credit_note = credit_note_issue(
                        invoice=invoice,
                        units=form.units(),
                        include_shipping=form.cleaned_data["include_shipping"],
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                except ApplicationError as error:
                    field_name = error.extra.get("field")
                    form.add_error(field_name if field_name in form.fields else None, error.message)
                else:
                    self.message_user(
                        request,
                        f"Credit note {credit_note.number} of {money_display(credit_note.total, credit_note.currency)} "
                        f"issued on invoice {invoice}; the customer gets it by e-mail.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(back)
        else:
            form = CreditNoteForm(**form_kwargs)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Credit note on invoice {invoice}",
            "invoice": invoice,
            "creditable": creditable,
            "form": form,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/invoicing/invoice/credit_note.html", context)

    def pdf_view(self, request, object_id):
        invoice = self.get_object(request, unquote(object_id))
        if invoice is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        try:
            # Renders and stores the PDF first if the worker has not done it yet.
            invoice, pdf_bytes = invoice_pdf_ensure(invoice_id=invoice.pk)
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:invoicing_invoice_change", args=[invoice.pk]))
        response = HttpResponse(pdf_bytes, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
        return response

    @admin.display(description="PDF")
    def pdf_link(self, invoice):
        if invoice.number is None:
            return "— (draft)"
        url = reverse("admin:invoicing_invoice_pdf", args=[invoice.pk])
        return format_html('<a href="{}">invoice-{}.pdf</a>', url, invoice.number)

    @admin.display(description="balance due")
    def balance(self, invoice):
        return money_display(invoice.balance_due, invoice.currency)

    # -- list columns ---

    @admin.display(description="status")
    def status_badge(self, invoice):
        return status_badge(invoice.status, invoice.get_status_display())

    @admin.display(description="total")
    def total_display(self, invoice):
        return money_display(invoice.total, invoice.currency)

    @admin.display(description="balance due")
    def balance_display(self, invoice):
        if invoice.status == Invoice.Status.DRAFT:
            return "—"
        return money_display(invoice.balance_due, invoice.currency)

    total_money = _money_field("total", "total")
    paid_money = _money_field("amount_paid", "paid")
    credited_money = _money_field("amount_credited", "credited")
    subtotal_money = _money_field("subtotal", "subtotal")
    discount_money = _money_field("discount_total", "discount")
    shipping_money = _money_field("shipping_total", "shipping")
    tax_money = _money_field("tax_total", "tax")

    @admin.display(description="tax per rate")
    def tax_per_rate(self, invoice):
        return (
            "; ".join(
                f"{rate_display(row['rate'])}: {money_display(row['tax'], invoice.currency)} on "
                f"{money_display(row['net'], invoice.currency)}"
                for row in invoice.tax_breakdown
            )
            or "—"
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            order = Order.objects.select_related("customer").get(pk=obj.order_id)
            payments = list(obj.payments.order_by("pk"))
            badges = [status_badge(obj.status, obj.get_status_display())]
            if invoice_is_overdue(obj):
                badges.append(status_badge("overdue", "Overdue"))
            facts = [
                format_html("for order {}, {}", admin_link(order), obj.billing_name),
                f"total {money_display(obj.total, obj.currency)}",
                f"{money_display(obj.balance_due, obj.currency)} due"
                + (f" by {date_format(obj.due_date, 'DATE_FORMAT')}" if obj.due_date and obj.balance_due > 0 else ""),
            ]
            if obj.issued_at:
                facts.insert(1, f"issued {date_format(timezone.localtime(obj.issued_at), 'DATETIME_FORMAT')}")
            context["record_header"] = {"title": f"Invoice {obj}", "badges": badges, "facts": facts}
            events = OrderEvent.objects.filter(
                Q(object_type="invoice", object_id=obj.pk)
                | Q(object_type="payment", object_id__in=[p.pk for p in payments])
            )
            context["record_timeline"] = record_timeline(
                events.select_related("actor").order_by("created_at", "pk"),
                order=order,
                invoices=[obj],
                payments=payments,
            )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("invoice", "sku", "description", "quantity", "unit_price", "tax_rate", "line_total")
    list_select_related = ("invoice__order",)
    search_fields = (prefix("invoice__number", capitals=True),)
    search_help_text = "Invoice number, or how it begins."
    sortable_by = ()
    raw_id_fields = ("invoice",)


@admin.register(Payment)
class PaymentAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Payments are recorded on the invoice page or by the gateway; refunds will be rows of their own."""

    list_display = ("created_at", "order", "invoice_number", "method", "amount", "status", "reference", "recorded_by")
    # Payment.method holds an order payment method (it declares no choices of its own).
    list_filter = ("status", choices_filter("method", "method", Order.PaymentMethod.choices), "created_at")
    list_select_related = ("order", "invoice", "recorded_by")
    search_fields = (
        prefix("order__number"),
        prefix("invoice__number", capitals=True),
        prefix("reference", ignore_case=True),
        prefix("gateway_reference"),
    )
    search_help_text = "Order or invoice number, payment or gateway reference, or how one begins."
    sortable_by = ("created_at",)
    raw_id_fields = ("order", "invoice", "recorded_by")
    fields = (
        "order",
        "invoice",
        "method",
        "amount",
        "status",
        "reference",
        "gateway_reference",
        "captured_at",
        "recorded_by",
        "created_at",
        "timeline",
    )
    readonly_fields = fields

    @admin.display(description="invoice", ordering="invoice__number")
    def invoice_number(self, payment):
        return payment.invoice.number if payment.invoice_id else "—"

    @admin.display(description="events")
    def timeline(self, payment):
        return timeline_table(events_for_object(payment))


# -- the work queues of the console's home (orders_site.core.work_queues) ----------------------------

INVOICES = "admin:invoicing_invoice_changelist"

work_queue_register(
    WorkQueue(
        key="invoices.open",
        heading=ACCOUNTS,
        title="Waiting for payment",
        permission="invoicing.record_payment",
        count=invoices_open_count,
        changelist=INVOICES,
        query={"payment": "open"},
        help_text="Issued invoices not paid in full",
        position=10,
    )
)
work_queue_register(
    WorkQueue(
        key="invoices.overdue",
        heading=ACCOUNTS,
        title="Invoices overdue",
        permission="invoicing.record_payment",
        count=invoices_overdue_count,
        changelist=INVOICES,
        query={"payment": "overdue"},
        help_text="Past their due date",
        position=20,
    )
)


class OwedBackFilter(admin.SimpleListFilter):
    title = "settled"
    parameter_name = "owed"

    def lookups(self, request, model_admin):
        return [("open", "Still owed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(pk__in=amounts_owed_back_open().values("pk"))
        return queryset


@admin.register(AmountOwedBack)
class AmountOwedBackAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """What edits and credit notes left owed to customers, until refunds made for it are paid out."""

    list_display = ("created_at", "order", "amount_display", "reason", "order_version", "settled_at")
    list_filter = (OwedBackFilter,)
    list_select_related = ("order",)
    search_fields = (prefix("order__number"),)
    sortable_by = ("created_at",)
    fields = ("order", "amount", "reason", "order_version", "created_at", "settled_at")
    readonly_fields = fields

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, row):
        return money_display(row.amount, row.order.currency)

    def get_list_display(self, request):
        # The refund button for those who may refund.
        can_refund = request.user.has_perm(REFUND_PERMISSION)
        return (*self.list_display, "refund") if can_refund else self.list_display

    @admin.display(description="")
    def refund(self, row):
        if row.settled_at is not None:
            return ""
        return format_html('<a class="button" href="{}">Refund</a>', refund_link(row.order, owed=row))


work_queue_register(
    WorkQueue(
        key="invoicing.owed_back",
        heading=CUSTOMER_SERVICE,
        title="Owed back to customers",
        permission="invoicing.view_amountowedback",
        count=amounts_owed_back_open_count,
        changelist="admin:invoicing_amountowedback_changelist",
        query={"owed": "open"},
        help_text="Edited orders now cheaper than paid or authorised",
        position=90,
    )
)


class CreditNoteLineInline(ReadOnlyInline, admin.TabularInline):
    model = CreditNoteLine
    fields = ("kind", "description", "quantity", "tax_rate", "net_amount", "tax_amount", "line_total")
    readonly_fields = fields
    extra = 0


@admin.register(CreditNote)
class CreditNoteAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Issued from the invoice's page ("Issue credit note"); never changed afterwards."""

    list_display = ("number", "issued_at", "order", "invoice", "total_display", "reason", "pdf_link")
    list_select_related = ("order", "invoice")
    search_fields = (prefix("number", capitals=True), prefix("order__number"), prefix("invoice__number", capitals=True))
    search_help_text = "Credit note, order or invoice number, or how one begins."
    sortable_by = ("number", "issued_at")
    inlines = (CreditNoteLineInline,)
    fields = (
        "number",
        "issued_at",
        "order",
        "invoice",
        "reason",
        "total_display",
        "tax_per_rate",
        "created_by",
        "pdf_link",
        "einvoice_link",
    )
    readonly_fields = fields

    def get_urls(self):
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="invoicing_creditnote_pdf",
            ),
            path(
                "<path:object_id>/einvoice/",
                self.admin_site.admin_view(self.einvoice_view),
                name="invoicing_creditnote_einvoice",
            ),
        ] + super().get_urls()

    def einvoice_view(self, request, object_id):
        credit_note = self.get_object(request, unquote(object_id))
        if credit_note is None:
            raise Http404("No such credit note")
        if not self.has_view_permission(request, credit_note):
            raise PermissionDenied
        return _einvoice_response(
            request,
            f"credit-note-{credit_note.number}",
            credit_note_facturx_pdf,
            credit_note_document,
            credit_note=credit_note,
        )

    def pdf_view(self, request, object_id):
        credit_note = self.get_object(request, unquote(object_id))
        if credit_note is None:
            raise Http404("No such credit note")
        if not self.has_view_permission(request, credit_note):
            raise PermissionDenied
        credit_note, pdf_bytes = credit_note_pdf_ensure(credit_note_id=credit_note.pk)
        response = HttpResponse(pdf_bytes, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="credit-note-{credit_note.number}.pdf"'
        return response

    @admin.display(description="total credited")
    def total_display(self, credit_note):
        return money_display(credit_note.total, credit_note.currency)

    @admin.display(description="tax per rate")
    def tax_per_rate(self, credit_note):
        return (
            "; ".join(
                f"{rate_display(row['rate'])}: {money_display(row['tax'], credit_note.currency)} on "
                f"{money_display(row['net'], credit_note.currency)}"
                for row in credit_note.tax_breakdown
            )
            or "—"
        )

    @admin.display(description="PDF")
    def pdf_link(self, credit_note):
        url = reverse("admin:invoicing_creditnote_pdf", args=[credit_note.pk])
        return format_html('<a href="{}">credit-note-{}.pdf</a>', url, credit_note.number)

    @admin.display(description="e-invoice")
    def einvoice_link(self, credit_note):
        url = reverse("admin:invoicing_creditnote_einvoice", args=[credit_note.pk])
        return format_html('<a href="{}">Factur-X PDF</a> · <a href="{}?format=xml">XML</a>', url, url)
