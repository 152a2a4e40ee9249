from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyModel(models.Model):
    """Rows are written once and never changed or deleted through the ORM (ledgers, timelines)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self._meta.verbose_name_plural.capitalize()} are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(f"{self._meta.verbose_name_plural.capitalize()} are append-only")


def actor_label(actor, system: str = "") -> str:
    """Who did it, for a timeline: the person's username, else the system that acted."""
    return actor.get_username() if actor is not None else (system or "system")


class Sequence(models.Model):
    """A named gapless counter. Take the next value only inside the transaction that uses it."""

    name = models.CharField(max_length=50, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"
