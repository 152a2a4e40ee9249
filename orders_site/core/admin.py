from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from .models import Sequence


class ReadOnlyAdminMixin:
    """Rows written only by services (or append-only): staff look, never type over them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


class SavedThroughServiceMixin:
    """For change forms whose `save_model` calls a service: on refusal, call `save_refused(obj, error)`;
    the page then shows the service's message, writes no history entry and stays on the form."""

    def save_refused(self, obj, error) -> None:
        obj._save_refused = error.message

    @staticmethod
    def save_was_refused(obj) -> bool:
        return bool(getattr(obj, "_save_refused", None))

    def log_change(self, request, obj, message):
        if not self.save_was_refused(obj):
            return super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if self.save_was_refused(obj):
            self.message_user(request, obj._save_refused, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_change(request, obj)


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Gapless counters (invoice and purchase-order numbers). Read-only: editing one would repeat or
    skip numbers."""

    list_display = ("name", "last_value")
    search_fields = ("name",)


class AccessAttemptConsoleAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-ins. Its "Clean up expired attempts" reads a time that axes puts
    only on sign-in requests, so on this page it failed with a 500 whatever was selected."""

    @admin.action(description=AccessAttemptAdmin.cleanup_expired_attempts.short_description)
    def cleanup_expired_attempts(self, request, queryset):
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = None  # axes then counts the cool-off back from now
        return super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptConsoleAdmin)
