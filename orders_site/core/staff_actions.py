"""Buttons on admin change pages that call services (CONVENTIONS rule 6).

Each button is a small POST form (CSRF token, the state the page showed as a hidden field) to
`<pk>/action/<name>/`. The view only translates the form into one service call with
`actor=request.user`: a refusal (`ApplicationError`) becomes an error message, and the error of a
named field is shown beside that field when the page comes back; success becomes a success
message. Both redirect to the change page, so a reload never presses the button twice.

Which buttons show: the transitions `transitions_available()` offers this person in this state,
limited to those with a staff service below. The service checks again under a row lock, so a
stale page or a forged POST is refused by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from .exceptions import ApplicationError, PermissionRefused
from .transitions import transitions_available

DRAFT_SESSION_KEY = "staff_action_drafts"


def status_guard(obj) -> dict[str, str]:
    """What a button posts back by default: the status the page showed."""
    return {"expected_status": obj.status}


@dataclass(frozen=True)
class StaffAction:
    """One button. `run(instance=, actor=, data=, guard=)` calls the service.

    `transition`: the FSM transition that must be open to this person now for the button to show;
    "" for a button that is no state change (then `when` and `permission` say when it shows).
    `guard`: the hidden fields that carry what the page showed (default: the status); the service
    refuses when the row changed since. `permission`: checked here only for services that do not
    check a permission themselves. `done`: the success message, formatted with `obj` and `status`.
    """

    name: str
    label: str
    transition: str
    run: Callable[..., Any]
    form_class: type[forms.Form] | None = None
    initial: Callable[[Any], dict] | None = None
    when: Callable[[Any], bool] | None = None
    permission: str = ""
    danger: bool = False
    help_text: str = ""
    done: str = "{verbose_name} {obj} is now “{status}”."
    guard: Callable[[Any], dict[str, str]] = status_guard


class StaffActionsMixin:
    """ModelAdmin mixin: the action panel on the change page and the POST view behind each button."""

    change_form_template = "admin/staff_actions/change_form.html"
    staff_actions: tuple[StaffAction, ...] = ()

    # -- urls and page -------------------------------------------------------------------------

    def get_urls(self):
        info = (self.opts.app_label, self.opts.model_name)
        own = [
            path(
                "<path:object_id>/action/<str:action_name>/",
                self.admin_site.admin_view(self.staff_action_view),
                name="{}_{}_staff_action".format(*info),
            ),
        ]
        # Before the admin's own patterns: its `<path:object_id>/` catch-all would swallow ours.
        return own + super().get_urls()

    def staff_actions_open(self, request, obj) -> list[StaffAction]:
        """The buttons this person may press on this object now."""
        names = set(transitions_available(instance=obj, user=request.user))
        return [
            action
            for action in self.staff_actions
            if (action.transition in names if action.transition else True)
            and (action.when is None or action.when(obj))
            and (not action.permission or request.user.has_perm(action.permission))
        ]

    def staff_links(self, request, obj) -> list[tuple[str, str]]:
        """Extra (label, url) links shown with the admin's History link."""
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            extra_context["staff_actions"] = [
                self._staff_action_panel(request, obj, action) for action in self.staff_actions_open(request, obj)
            ]
            extra_context["staff_links"] = self.staff_links(request, obj)
        return super().change_view(request, object_id, form_url, extra_context)

    def _staff_action_url(self, obj, action: StaffAction) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_staff_action",
            args=[obj.pk, action.name],
        )

    def _staff_change_url(self, obj) -> str:
        return reverse(f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def _staff_action_panel(self, request, obj, action: StaffAction) -> dict:
        form = None
        if action.form_class is not None:
            draft = request.session.get(DRAFT_SESSION_KEY, {}).get(self._draft_key(obj, action))
            if draft is not None:
                # The person's last try, with the refusal beside the field it was about.
                drafts = request.session[DRAFT_SESSION_KEY]
                drafts.pop(self._draft_key(obj, action))
                request.session.modified = True
                form = action.form_class(data=draft["data"], prefix=action.name)
                form.is_valid()
                for field_name, errors in draft["errors"].items():
                    for error in errors:
                        form.add_error(field_name if field_name in form.fields else None, error)
            else:
                form = action.form_class(prefix=action.name, initial=action.initial(obj) if action.initial else None)
        return {
            "action": action,
            "url": self._staff_action_url(obj, action),
            "form": form,
            "guard": action.guard(obj),
        }

    # -- the POST behind a button ------------------------------------------------------------------

    def _draft_key(self, obj, action: StaffAction) -> str:
        return f"{self.opts.label_lower}:{obj.pk}:{action.name}"

    def _draft_keep(self, request, obj, action: StaffAction, errors: dict[str, list[str]]) -> None:
        prefix = f"{action.name}-"
        data = {key: request.POST.get(key) for key in request.POST if key.startswith(prefix)}
        drafts = request.session.get(DRAFT_SESSION_KEY, {})
        drafts[self._draft_key(obj, action)] = {"data": data, "errors": errors}
        request.session[DRAFT_SESSION_KEY] = drafts

    def staff_action_view(self, request, object_id, action_name):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        action = next((a for a in self.staff_actions if a.name == action_name), None)
        if action is None:
            raise Http404(f"No action “{action_name}”.")
        back = HttpResponseRedirect(self._staff_change_url(obj))

        data = {}
        form = None
        if action.form_class is not None:
            form = action.form_class(data=request.POST, prefix=action.name)
            if not form.is_valid():
                self._draft_keep(request, obj, action, {})
                problems = "; ".join(
                    f"{form.fields[name].label if name in form.fields else 'Form'}: {' '.join(errors)}"
                    for name, errors in form.errors.items()
                )
                self.message_user(request, f"{action.label}: {problems}", messages.ERROR)
                return back
            data = form.cleaned_data

        guard = {name: request.POST.get(name, "") for name in action.guard(obj)}
        if any(not value for value in guard.values()):
            self.message_user(
                request,
                "This button came from an out-of-date page; nothing was done. Reload and try again.",
                messages.ERROR,
            )
            return back

        try:
            if action.permission and not request.user.has_perm(action.permission):
                raise PermissionRefused(
                    f"You are not allowed to {action.label.lower()} {self.opts.verbose_name} {obj}."
                )
            action.run(instance=obj, actor=request.user, data=data, guard=guard)
        except ApplicationError as error:
            field_name = error.extra.get("field")
            if form is not None and field_name in form.fields:
                self._draft_keep(request, obj, action, {field_name: [error.message]})
            self.message_user(request, error.message, messages.ERROR)
            return back

        obj = self.get_object(request, unquote(object_id))
        # The admin's History page names the button too; the order's timeline has the full event.
        self.log_change(request, obj, f"{action.label} (button)")
        self.message_user(
            request,
            action.done.format(
                verbose_name=capfirst(self.opts.verbose_name),
                obj=obj,
                status=obj.get_status_display() if hasattr(obj, "get_status_display") else "",
            ),
            messages.SUCCESS,
        )
        return back


def admin_link(obj, text=None) -> str:
    """A link to the object's admin change page (plain text when it has none)."""
    if obj is None:
        return "—"
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:  # not registered in the admin: plain text
        return str(text or obj)
    return format_html('<a href="{}">{}</a>', url, text or obj)


def timeline_table(events) -> str:
    """The given events as a small read-only table (for shipment, invoice and payment pages)."""
    rows = [
        (
            timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M"),
            event.get_kind_display(),
            f"{event.from_state} → {event.to_state}" if event.to_state else "",
            event.actor_label,
            event.note,
        )
        for event in events
    ]
    if not rows:
        return "—"
    return format_html(
        "<table><thead><tr><th>When</th><th>What</th><th>State</th><th>Who</th><th>Note</th></tr></thead>"
        "<tbody>{}</tbody></table>",
        format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
    )
