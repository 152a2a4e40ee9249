"""Feedback in the staff console: what customers said, and the follow-up queue for low ratings."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.text import Truncator

from orders_site.core.admin import (
    LargeTableAdminMixin,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    choices_filter,
    contains,
    prefix,
)
from orders_site.core.exceptions import ApplicationError
from orders_site.core.formatting import count_display
from orders_site.core.work_queues import CUSTOMER_SERVICE, WorkQueue, work_queue_register

from .models import Feedback, FeedbackRequest, ProductRating
from .selectors import feedback_link_for_request, feedback_to_follow_up, feedback_to_follow_up_count
from .services import feedback_follow_up_mark

# Ratings are 1 to 5 (the models' check constraints); a filter needs no query to list them.
RATINGS = [(str(stars), "★" * stars) for stars in range(1, 6)]


class ProductRatingInline(ReadOnlyInline, admin.TabularInline):
    model = ProductRating
    fields = ("product", "rating")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product")


class FollowUpFilter(admin.SimpleListFilter):
    title = "follow-up"
    parameter_name = "follow_up"

    def lookups(self, request, model_admin):
        return [("open", "To do"), ("done", "Done")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return feedback_to_follow_up(queryset)
        if self.value() == "done":
            return queryset.filter(followed_up_at__isnull=False)
        return queryset


@admin.register(Feedback)
class FeedbackAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The customer's words are kept as given; customer service only marks the follow-up done."""

    list_display = ("created_at", "order", "overall_rating", "short_comment", "needs_follow_up", "followed_up_at")
    list_filter = ("needs_follow_up", FollowUpFilter, choices_filter("overall_rating", "rating", RATINGS), "created_at")
    list_select_related = ("request__order",)
    search_fields = (
        prefix("request__order__number"),
        prefix("request__order__email", ignore_case=True),
        contains("comment"),
    )
    search_help_text = "Order number or customer e-mail (or how either begins), or words in the comment."
    sortable_by = ("created_at",)
    fields = ("order", "overall_rating", "comment", "needs_follow_up", "followed_up_at", "created_at")
    readonly_fields = fields
    inlines = (ProductRatingInline,)
    actions = ("mark_followed_up",)

    @admin.display(description="order", ordering="request__order__number")
    def order(self, feedback):
        return feedback.request.order

    @admin.display(description="comment")
    def short_comment(self, feedback):
        return Truncator(feedback.comment).chars(80)

    def has_follow_up_permission(self, request):
        return request.user.has_perm("feedback.change_feedback")

    @admin.action(description="Mark selected feedback as followed up", permissions=["follow_up"])
    def mark_followed_up(self, request, queryset):
        done, refused = 0, []
        for feedback in queryset.order_by("pk"):
            try:
                feedback_follow_up_mark(feedback=feedback, actor=request.user)
            except ApplicationError as error:
                refused.append(error.message)
            else:
                done += 1
        if done:
            self.message_user(
                request, f"Marked {count_display(done, 'feedback response')} as followed up.", messages.SUCCESS
            )
        if refused:
            self.message_user(request, " · ".join(refused), messages.ERROR)


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "created_at", "responded_at")
    list_filter = (("responded_at", admin.EmptyFieldListFilter), "created_at")
    list_select_related = ("order",)
    search_fields = (prefix("order__number"), prefix("order__email", ignore_case=True))
    search_help_text = "Order number or customer e-mail, or how either begins."
    ordering = ("-pk",)  # newest first, through the primary key (created_at has no index here)
    sortable_by = ()
    fields = ("order", "created_at", "responded_at", "link")
    readonly_fields = fields

    @admin.display(description="feedback link (signed)")
    def link(self, feedback_request):
        return settings.SHOP_BASE_URL.rstrip("/") + feedback_link_for_request(request_id=feedback_request.pk)


@admin.register(ProductRating)
class ProductRatingAdmin(LargeTableAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "rating", "feedback")
    list_filter = (choices_filter("rating", "rating", RATINGS),)
    list_select_related = ("product", "feedback__request__order")
    search_fields = (
        prefix("product__sku", ignore_case=True),
        prefix("product__name", ignore_case=True),
        prefix("feedback__request__order__number"),
    )
    search_help_text = "SKU, product name or order number, or how one begins."
    sortable_by = ()
    raw_id_fields = ("feedback", "product")


# -- the work queue of the console's home (orders_site.core.work_queues) ------------------------------

work_queue_register(
    WorkQueue(
        key="feedback.follow_up",
        heading=CUSTOMER_SERVICE,
        title="Feedback to follow up",
        permission="feedback.change_feedback",
        count=feedback_to_follow_up_count,
        changelist="admin:feedback_feedback_changelist",
        query={"follow_up": "open"},
        help_text="Low ratings to call back",
        position=40,
    )
)
