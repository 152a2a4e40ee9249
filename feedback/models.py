from django.db import models
from django.db.models import Q

LOW_RATING = 2


class FeedbackRequest(models.Model):
    """Sent once when an order completes; answered through a signed link without logging in."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="feedback_request")
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Feedback request for {self.order}"


class Feedback(models.Model):
    request = models.OneToOneField(FeedbackRequest, on_delete=models.PROTECT, related_name="feedback")
    overall_rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    needs_follow_up = models.BooleanField(
        default=False, db_index=True, help_text="Low rating: customer service calls back"
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "feedback"
        ordering = ["-created_at"]
        # The "to follow up" queue and filter: the few low ratings not called back yet, newest first.
        indexes = [
            models.Index(
                fields=["-created_at", "-id"],
                name="feedback_follow_up_open_idx",
                condition=Q(needs_follow_up=True, followed_up_at__isnull=True),
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(overall_rating__gte=1) & Q(overall_rating__lte=5), name="overall_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.overall_rating}/5 for {self.request.order}"


class ProductRating(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="product_ratings")
    product = models.ForeignKey("inventory.Product", on_delete=models.PROTECT, related_name="ratings")
    rating = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="product_rating_1_to_5"),
            models.UniqueConstraint(fields=["feedback", "product"], name="one_rating_per_product_per_feedback"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for product {self.product_id}"
