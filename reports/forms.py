"""The dashboard's filters: a date range (whole days, shop time zone), a channel and a warehouse."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from inventory.models import Warehouse
from orders.models import Order

from .periods import DEFAULT_DAYS, MAX_DAYS, Period


class PeriodForm(forms.Form):
    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    last_day = forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    channel = forms.ChoiceField(choices=[("", "All channels"), *Order.Channel.choices], required=False)
    warehouse = forms.ModelChoiceField(
        queryset=Warehouse.objects.order_by("code"), required=False, empty_label="All warehouses"
    )

    def __init__(self, data=None, **kwargs):
        today = timezone.localdate()
        kwargs.setdefault("initial", {"first_day": today - timedelta(days=DEFAULT_DAYS - 1), "last_day": today})
        super().__init__(data, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", "The last day comes before the first.")
            elif (last - first).days + 1 > MAX_DAYS:
                self.add_error("first_day", f"Choose at most {MAX_DAYS} days.")
        return cleaned

    def period(self) -> Period:
        """The chosen period, or the last 30 days when the form was not sent or is wrong."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            warehouse = data.get("warehouse")
            return Period(
                first_day=data["first_day"],
                last_day=data["last_day"],
                channel=data.get("channel") or "",
                warehouse_id=warehouse.pk if warehouse else None,
            )
        return Period.last_days(DEFAULT_DAYS)
