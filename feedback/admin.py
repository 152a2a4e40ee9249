"""Feedback in the staff console: what customers said, and the follow-up queue for low ratings."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.text import Truncator

from orders_site.core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from orders_site.core.exceptions import ApplicationError

from .models import Feedback, FeedbackRequest, ProductRating
from .selectors import feedback_link_for_request
from .services import feedback_follow_up_mark


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
            return queryset.filter(needs_follow_up=True, followed_up_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(followed_up_at__isnull=False)
        return queryset


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The customer's words are kept as given; customer service only marks the follow-up done."""

    list_display = ("created_at", "order", "overall_rating", "short_comment", "needs_follow_up", "followed_up_at")
    list_filter = ("needs_follow_up", FollowUpFilter, "overall_rating")
    list_select_related = ("request__order",)
    search_fields = ("=request__order__number", "request__order__email", "comment")
    search_help_text = "Order number (exact), customer e-mail or words in the comment."
    date_hierarchy = "created_at"
    show_full_result_count = False
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
            self.message_user(request, f"Marked {done} feedback(s) as followed up.", messages.SUCCESS)
        if refused:
            self.message_user(request, " · ".join(refused), messages.ERROR)


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("order", "created_at", "responded_at")
    list_filter = (("responded_at", admin.EmptyFieldListFilter),)
    list_select_related = ("order",)
    search_fields = ("=order__number", "order__email")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("order", "created_at", "responded_at", "link")
    readonly_fields = fields

    @admin.display(description="feedback link (signed)")
    def link(self, feedback_request):
        return settings.SHOP_BASE_URL.rstrip("/") + feedback_link_for_request(request_id=feedback_request.pk)


@admin.register(ProductRating)
class ProductRatingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("product", "rating", "feedback")
    list_filter = ("rating",)
    list_select_related = ("product", "feedback__request__order")
    search_fields = ("product__sku", "product__name", "=feedback__request__order__number")
    raw_id_fields = ("feedback", "product")
    show_full_result_count = False
