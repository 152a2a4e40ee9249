"""The staff console's admin site: Django's own, with the work queues on its home page
(orders_site.core.work_queues) and the checks of changelist input that Django leaves to a 500
(unreadable row ids with an action, a date drill-down year too large).

It is the default site (`ConsoleAdminConfig` in INSTALLED_APPS), so every ModelAdmin gets the
checks, ours and those of contrib.auth and django-axes alike.
"""

from functools import wraps

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.http import HttpResponseRedirect

from .work_queues import work_queues_shown

UNREADABLE_SELECTION = "The selected rows could not be read; nothing was changed. Select them again."


def _selection_readable(model_admin: admin.ModelAdmin, request) -> bool:
    """Whether every row id posted with a changelist action (`_selected_action`) can be an id of
    this model. Django filters `pk__in` with them as posted, which raises (a 500) on `abc`, and on
    SQLite on a number beyond the column's range."""
    pk_field = model_admin.opts.pk
    low = high = None
    if isinstance(pk_field, models.IntegerField):
        connection = connections[router.db_for_read(model_admin.model)]
        low, high = connection.ops.integer_field_range(pk_field.get_internal_type())
    try:
        for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
            pk = pk_field.to_python(value)
            if (low is not None and pk < low) or (high is not None and pk > high):
                return False
    except ValidationError:
        return False
    return True


def _date_hierarchy_readable(model_admin: admin.ModelAdmin, request) -> bool:
    """Whether the date drill-down (`placed_at__year=...`) is a date. Django answers a bad one
    itself (ValueError), except a number too large for datetime(): OverflowError, a 500."""
    field = model_admin.date_hierarchy
    if not field:
        return True
    for part in ("year", "month", "day"):
        for value in request.GET.getlist(f"{field}__{part}"):
            try:
                number = int(value)
            except ValueError:
                continue  # Django refuses it itself
            if abs(number) > 9999:
                return False
    return True


class ConsoleAdminSite(admin.AdminSite):
    def index(self, request, extra_context=None):
        """The home: the person's work queues with their counts (templates/admin/index.html), and
        below them Django's list of models."""
        context = {"work_queue_headings": work_queues_shown(request.user), **(extra_context or {})}
        return super().index(request, extra_context=context)

    def admin_view(self, view, cacheable=False):
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin):
            view = self._refusing_unreadable_input(view, model_admin)
        return super().admin_view(view, cacheable)

    @staticmethod
    def _refusing_unreadable_input(view, model_admin):
        @wraps(view)
        def inner(request, *args, **kwargs):
            if request.method == "POST" and not _selection_readable(model_admin, request):
                model_admin.message_user(request, UNREADABLE_SELECTION, messages.ERROR)
                return HttpResponseRedirect(request.get_full_path())
            if view.__name__ == "changelist_view" and not _date_hierarchy_readable(model_admin, request):
                # What Django answers to the filters it cannot read (IncorrectLookupParameters).
                return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            return view(request, *args, **kwargs)

        return inner


class ConsoleAdminConfig(AdminConfig):
    default_site = "orders_site.core.admin_site.ConsoleAdminSite"
