"""The workshop's list: work items (assembly, engraving, customisation) with their state and who does
them; buttons to start and finish one, bulk actions to take them. Every write is a service call
(orders.services.work_items)."""

from django.contrib import admin, messages
from django.utils.html import format_html

from orders.models import WorkItem
from orders.selectors.packing import work_items_open
from orders.services import work_items
from orders_site.core.admin import LargeTableAdminMixin, ListPrefetchMixin, ReadOnlyAdminMixin, status_badge
from orders_site.core.exceptions import ApplicationError
from orders_site.core.staff_actions import StaffAction, StaffActionsMixin, admin_link

FULFIL = "orders.fulfil_order"


class OpenFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open (to do or in progress)")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(pk__in=work_items_open().values("pk"))
        return queryset


def _step(service):
    def run(*, instance, actor, data, guard):
        return service(work_item=instance, actor=actor, expected_status=guard["expected_status"])

    return run


WORK_ITEM_ACTIONS = (
    StaffAction(name="start", label="Start", transition="start", run=_step(work_items.work_item_start)),
    StaffAction(
        name="finish",
        label="Done",
        transition="finish",
        run=_step(work_items.work_item_finish),
        help_text="The line may be packed once its work is done.",
    ),
)


@admin.register(WorkItem)
class WorkItemAdmin(StaffActionsMixin, ListPrefetchMixin, LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    staff_actions = WORK_ITEM_ACTIONS
    list_display = ("kind", "description", "order_link", "parcel", "status_badge", "assignee", "created_at")
    list_filter = (OpenFilter, "status")
    list_select_related = ("order", "shipment_line__shipment", "assignee")
    sortable_by = ()
    actions = ("assign_to_me", "start_selected", "finish_selected")
    fields = ("kind", "description", "order_link", "parcel", "status", "assignee", "started_at", "finished_at")
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(FULFIL) or super().has_view_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "shipment_line__shipment", "assignee")

    @admin.display(description="order")
    def order_link(self, work_item):
        return admin_link(work_item.order, work_item.order.number)

    @admin.display(description="parcel")
    def parcel(self, work_item):
        return admin_link(work_item.shipment_line.shipment)

    @admin.display(description="status")
    def status_badge(self, work_item):
        return status_badge(work_item.status, work_item.get_status_display())

    # -- bulk actions: each row through its service; refusals reported, the rest go on ---

    def _each(self, request, queryset, call, done: str):
        if not request.user.has_perm(FULFIL):
            self.message_user(request, "You are not allowed to do warehouse work.", messages.ERROR)
            return
        changed = 0
        for work_item in queryset.order_by("pk"):
            try:
                call(work_item)
            except ApplicationError as error:
                self.message_user(request, format_html("{}: {}", work_item.kind, error.message), messages.ERROR)
            else:
                changed += 1
        if changed:
            self.message_user(request, f"{changed} work item{'s' if changed != 1 else ''} {done}.", messages.SUCCESS)

    @admin.action(description="Assign to me")
    def assign_to_me(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda item: work_items.work_item_assign(work_item=item, assignee=request.user, actor=request.user),
            "assigned to you",
        )

    @admin.action(description="Start")
    def start_selected(self, request, queryset):
        self._each(
            request, queryset, lambda item: work_items.work_item_start(work_item=item, actor=request.user), "started"
        )

    @admin.action(description="Mark done")
    def finish_selected(self, request, queryset):
        self._each(
            request, queryset, lambda item: work_items.work_item_finish(work_item=item, actor=request.user), "done"
        )
