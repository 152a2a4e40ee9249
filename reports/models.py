"""The manager's desk: export jobs that run in the worker, and the daily roll-up the dashboard
reads for its order and revenue figures (reports.rollup)."""

from django.conf import settings
from django.db import models


class ExportJob(models.Model):
    """One export too big for the web request, written by the worker to the storage API. The page
    that shows it refreshes itself while `rows_done` climbs to `rows_total`."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    kind = models.CharField(max_length=30, help_text="What is exported (reports.exports.EXPORTS)")
    file_format = models.CharField("format", max_length=4, choices=Format.choices)
    query = models.TextField(blank=True, help_text="The list's filters, as its address had them")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The file is deleted then")

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("view_dashboard", "Can see the manager's dashboard"),
            ("export_data", "Can export lists as CSV and XLSX"),
        ]
        indexes = [models.Index(fields=["-created_at", "-id"], name="exportjob_created_idx")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.get_file_format_display()})"

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.rows_done * 100 // self.rows_total)


class DailyFigures(models.Model):
    """Orders placed on one day (shop time zone) in one channel, and their money: rebuilt from the
    orders by reports.rollup.rollup_rebuild (nightly beat job, `manage.py reports_rollup`), and
    equal to the live computation (reports/tests/test_rollup.py)."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    orders = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    net = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Goods after discount, before tax")
    shipping = models.DecimalField(max_digits=14, decimal_places=2, default=0, help_text="Before tax")
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    rebuilt_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "channel"]
        verbose_name_plural = "daily figures"
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="dailyfigures_day_channel_uniq")]

    def __str__(self) -> str:
        return f"{self.day} {self.channel}: {self.orders}"
