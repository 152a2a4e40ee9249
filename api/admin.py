"""API keys in the console (managers): make one (its key is shown once, on the next page), see
when each was last used, revoke one. The key itself is never stored, only its SHA-256."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from orders_site.core.admin import ReadOnlyAdminMixin
from orders_site.core.exceptions import ApplicationError

from .keys import api_key_create, api_key_revoke
from .models import ApiKey, IdempotencyRecord

PERMISSION = "api.manage_api_keys"


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who uses it, e.g. “ERP” or “Marketplace sync”")
    scopes = forms.MultipleChoiceField(choices=ApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    ordering = ("-created_at", "-pk")
    readonly_fields = ("name", "prefix", "scope_list", "created_by", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke_selected",)

    def has_module_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [path("new/", view(self.new_view), name="api_apikey_new")] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"new_key_url": reverse("admin:api_apikey_new")} if request.user.has_perm(PERMISSION) else {}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    @admin.display(description="scopes")
    def scope_list(self, key):
        return ", ".join(key.scopes)

    def new_view(self, request):
        """The form; after it, the new key on a page of its own, shown this once."""
        if not request.user.has_perm(PERMISSION):
            return HttpResponseRedirect(reverse("admin:index"))
        form = ApiKeyForm(request.POST or None)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": "New API key", "form": form}
        if request.method == "POST" and form.is_valid():
            try:
                key, raw = api_key_create(
                    name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"], created_by=request.user
                )
            except ApplicationError as error:
                form.add_error(error.extra.get("field"), error.message)
            else:
                context.update(title=f"API key for {key.name}", key=key, raw_key=raw)
                return TemplateResponse(request, "admin/api/apikey/created.html", context)
        return TemplateResponse(request, "admin/api/apikey/new.html", context)

    @admin.action(description="Revoke the selected keys (they stop working at once)")
    def revoke_selected(self, request, queryset):
        if not request.user.has_perm(PERMISSION):
            self.message_user(request, "You may not revoke API keys.", messages.ERROR)
            return
        keys = list(queryset.filter(revoked_at=None))
        for key in keys:
            api_key_revoke(key=key)
        self.message_user(request, f"{len(keys)} key(s) revoked at {timezone.localtime():%H:%M}.", messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm(PERMISSION):
            actions.pop("revoke_selected", None)
        return actions


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The stored answers of POSTs with an Idempotency-Key (kept API_IDEMPOTENCY_HOURS): what an
    integration was told, when it says it sent a request twice."""

    list_display = ("key", "api_key", "status_code", "created_at")
    list_select_related = ("api_key",)
    search_fields = ("key",)
    ordering = ("-created_at", "-pk")

    def has_module_permission(self, request):
        return request.user.has_perm(PERMISSION)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(PERMISSION)
