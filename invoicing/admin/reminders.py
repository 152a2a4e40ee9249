"""Payment reminders in the staff console: the levels managers set, and every reminder sent."""

from django.contrib import admin

from orders_site.core.admin import LargeTableAdminMixin, ReadOnlyAdminMixin, prefix

from ..models import InvoiceReminder, ReminderLevel


@admin.register(ReminderLevel)
class ReminderLevelAdmin(admin.ModelAdmin):
    """Managers set the steps: days after the due date, the fee, the e-mail's opening words. A level
    that was sent is kept (its reminders name it): make it inactive instead of deleting it."""

    list_display = ("name", "days_after_due", "fee", "is_active")
    list_editable = ("is_active",)
    ordering = ("days_after_due",)
    fields = ("name", "days_after_due", "fee", "message", "is_active")


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every payment reminder sent, newest first (the beat job sends them; nobody edits them)."""

    list_display = ("sent_at", "invoice", "level", "days_overdue", "amount_due", "fee")
    list_filter = ("level",)
    list_select_related = ("invoice", "level")
    search_fields = (prefix("invoice__number", capitals=True), prefix("invoice__order__number"))
    search_help_text = "Invoice or order number, or how one begins."
    sortable_by = ()
    ordering = ("-sent_at", "-id")
    fields = list_display
    readonly_fields = fields
