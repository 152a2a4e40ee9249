"""Bank statements in the staff console: "Import statement" (CAMT.053 or CSV), the credits they
brought, and "Bank credits to match", where staff match a credit to an invoice by hand or mark it
not ours."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from lifecycle.bank_statements import PERMISSION, bank_entry_dismiss, bank_entry_match, bank_statement_import
from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display, money_display
from orders_site.core.work_queues import ACCOUNTS, WorkQueue, work_queue_register

from ..bank_files import BankFileRefused
from ..models import BankStatement, BankStatementEntry, Invoice
from ..selectors import bank_entries_to_match_count
from ..services.bank_matching import bank_match_candidates


class StatementUploadForm(forms.Form):
    statement = forms.FileField(
        label="Statement file",
        help_text="CAMT.053 (XML, versions 02 and 08) as the bank exports it, or a CSV with the columns "
        "date, amount, currency, counterparty, iban, remittance.",
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label="Why is it not a customer's payment?", max_length=300)


@admin.register(BankStatement)
class BankStatementAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Statements come in through "Import statement"; a statement is never changed afterwards."""

    list_display = ("imported_at", "statement_id", "source", "file_name", "account_iban", "credits", "matched")
    search_fields = (prefix("statement_id"), prefix("file_name", ignore_case=True))
    search_help_text = "The statement's id or file name, or how one begins."
    sortable_by = ()
    ordering = ("-imported_at", "-id")
    fields = (*list_display, "imported_by")
    readonly_fields = fields

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="invoicing_bankstatement_import"),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = (
            {"import_url": reverse("admin:invoicing_bankstatement_import")} if request.user.has_perm(PERMISSION) else {}
        )
        return super().changelist_view(request, extra_context={**(extra_context or {}), **extra})

    def import_view(self, request):
        """Upload a statement: read whole, refused with the line named, or recorded and matched."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        form = StatementUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["statement"]
            try:
                imported = bank_statement_import(name=upload.name, content=upload.read(), actor=request.user)
            except BankFileRefused as refused:
                form.add_error("statement", str(refused))
            except ApplicationError as error:
                form.add_error("statement", error.message)
            else:
                said = [
                    f"{count_display(imported.matched, 'credit')} matched and paid",
                    f"{count_display(imported.to_match, 'credit')} to match by hand",
                ]
                if imported.known_before:
                    said.append(f"{count_display(imported.known_before, 'credit')} imported before, skipped")
                if imported.debits_skipped:
                    said.append(f"{count_display(imported.debits_skipped, 'debit')} left alone")
                self.message_user(
                    request, f"Statement {imported.statement.statement_id}: {'; '.join(said)}.", messages.SUCCESS
                )
                queue = reverse("admin:invoicing_bankstatemententry_changelist") + "?status__exact=unmatched"
                return HttpResponseRedirect(
                    queue if imported.to_match else reverse("admin:invoicing_bankstatement_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a bank statement",
            "form": form,
            "back_url": reverse("admin:invoicing_bankstatement_changelist"),
        }
        return TemplateResponse(request, "admin/invoicing/bankstatement/import.html", context)


@admin.register(BankStatementEntry)
class BankStatementEntryAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Money received, per statement line; the unmatched ones are matched from their page."""

    list_display = ("booked_on", "amount_display", "counterparty", "remittance", "status_badge", "rule", "invoice")
    list_filter = ("status",)
    list_select_related = ("invoice",)
    search_fields = (
        prefix("counterparty", ignore_case=True),
        prefix("reference", capitals=True),
        prefix("iban", capitals=True),
        prefix("entry_ref"),
    )
    search_help_text = "How the payer's name, the reference, the IBAN or the bank's entry id begins."
    sortable_by = ("booked_on",)
    ordering = ("-booked_on", "-id")
    fields = (
        "statement",
        "entry_ref",
        "booked_on",
        "amount",
        "currency",
        "counterparty",
        "iban",
        "reference",
        "remittance",
        "status",
        "rule",
        "invoice",
        "payment",
        "note",
        "decided_by",
        "decided_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.GET.get("status__exact") == BankStatementEntry.Status.UNMATCHED:
            return queryset.order_by("booked_on", "id")  # the queue: oldest first
        return queryset

    def get_urls(self):
        return [
            path(
                "<path:object_id>/match/",
                self.admin_site.admin_view(self.match_view),
                name="invoicing_bankstatemententry_match",
            ),
        ] + super().get_urls()

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, entry):
        return money_display(entry.amount, entry.currency)

    @admin.display(description="status", ordering="status")
    def status_badge(self, entry):
        return status_badge(entry.status, entry.get_status_display())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if (
            entry is not None
            and entry.status == BankStatementEntry.Status.UNMATCHED
            and request.user.has_perm(PERMISSION)
        ):
            extra["match_url"] = reverse("admin:invoicing_bankstatemententry_match", args=[entry.pk])
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def match_view(self, request, object_id):
        """Find the invoice (the same amount due, or a search by number or name) and match it, or
        mark the credit not ours."""
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        entry = get_object_or_404(BankStatementEntry, pk=object_id)
        back = reverse("admin:invoicing_bankstatemententry_changelist") + "?status__exact=unmatched"
        dismiss = DismissForm(request.POST if request.POST.get("do") == "dismiss" else None)
        if request.method == "POST":
            try:
                if request.POST.get("do") == "match":
                    invoice = Invoice.objects.filter(pk=request.POST.get("invoice") or 0).first()
                    if invoice is None:
                        raise Http404("No such invoice")
                    bank_entry_match(entry=entry, invoice=invoice, actor=request.user)
                    self.message_user(
                        request,
                        f"{money_display(entry.amount, entry.currency)} recorded on invoice {invoice}.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(back)
                if dismiss.is_valid():
                    bank_entry_dismiss(entry=entry, reason=dismiss.cleaned_data["reason"], actor=request.user)
                    self.message_user(request, "Marked not ours: it left the queue.", messages.SUCCESS)
                    return HttpResponseRedirect(back)
            except ApplicationError as error:
                self.message_user(request, error.message, messages.ERROR)
        search = request.GET.get("q", "")
        payer = entry.counterparty or "an unknown payer"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Match {money_display(entry.amount, entry.currency)} from {payer}",
            "entry": entry,
            "search": search,
            "candidates": bank_match_candidates(entry=entry, search=search),
            "dismiss": dismiss,
            "back_url": back,
        }
        return TemplateResponse(request, "admin/invoicing/bankstatemententry/match.html", context)


work_queue_register(
    WorkQueue(
        key="invoicing.bank_credits_to_match",
        heading=ACCOUNTS,
        title="Bank credits to match",
        permission="invoicing.view_bankstatemententry",
        count=bank_entries_to_match_count,
        changelist="admin:invoicing_bankstatemententry_changelist",
        query={"status__exact": BankStatementEntry.Status.UNMATCHED},
        help_text="Money on the statement no invoice was found for: match it, or mark it not ours",
        position=93,
    )
)
