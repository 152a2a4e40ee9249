"""The small forms behind the staff buttons and bulk actions."""

from django import forms

from orders.models import Carrier, Shipment, TrackingEvent


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Kept on the order's timeline.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text="Kept on the order's timeline.",
        error_messages={"required": "Say why the order is cancelled."},
    )


class DispatchForm(forms.Form):
    # Not required here: the service says what a dispatch needs (nothing for a pickup order),
    # and its refusal is shown beside the field it names.
    carrier_record = forms.ModelChoiceField(
        label="Carrier",
        queryset=Carrier.objects.filter(is_active=True),
        required=False,
        help_text="Its tracking link is made from the tracking number.",
    )
    carrier = forms.CharField(
        label="Other carrier", max_length=60, required=False, help_text="Only for a carrier not in the list"
    )
    service = forms.CharField(label="Service", max_length=60, required=False, help_text="e.g. Parcel, Express")
    tracking_number = forms.CharField(label="Tracking number", max_length=60, required=False)
    tracking_url = forms.URLField(
        label="Tracking URL",
        max_length=200,
        required=False,
        assume_scheme="https",
        help_text="Leave empty for a listed carrier",
    )


class TrackingEventForm(forms.Form):
    kind = forms.ChoiceField(label="What happened", choices=TrackingEvent.Kind.choices)
    occurred_at = forms.DateTimeField(
        label="When", required=False, help_text="YYYY-MM-DD HH:MM; empty for now", input_formats=["%Y-%m-%d %H:%M"]
    )


class ReturnDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=Shipment.ReturnDecision.choices)
    note = forms.CharField(label="Note", required=False, max_length=500, widget=forms.TextInput(attrs={"size": 40}))


class StaffCommentForm(forms.Form):
    # Not required and no max_length here: the service (orders.services.comments) says what a
    # comment must be, and its refusal is shown beside this field.
    comment = forms.CharField(
        label="Staff comment",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="For colleagues only: kept on the timeline, never shown or sent to the customer.",
    )


class ShipmentSplitForm(forms.Form):
    """One "units to move" field per parcel line (`line_<id>`, orders.services.splitting.quantity_field).

    Empty means the line stays whole in this parcel. Whole numbers only here; the service says
    what else is wrong (nothing, too many, everything) and the page shows it beside the field."""

    expected_status = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, lines, field_name, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[field_name(line.pk)] = forms.IntegerField(
                label=f"{line.order_line.sku} to move",
                required=False,
                widget=forms.NumberInput(attrs={"size": 5, "inputmode": "numeric"}),
                error_messages={"invalid": "Enter a whole number of units, or leave it empty."},
            )

    def rows(self):
        """(line, its field) pairs for the page's table."""
        return [(line, self[name]) for line, name in zip(self.lines, list(self.fields)[1:], strict=True)]

    def quantities(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data[name]
            for line, name in zip(self.lines, list(self.fields)[1:], strict=True)
            if self.cleaned_data.get(name) is not None
        }


class BatchDispatchForm(forms.Form):
    """One carrier for the batch, one tracking-number field per parcel (`tracking_<shipment pk>`)."""

    carrier = forms.ModelChoiceField(
        label="Carrier",
        queryset=Carrier.objects.filter(is_active=True),
        error_messages={"required": "Choose the carrier taking the batch."},
    )
    service = forms.CharField(label="Service", max_length=60, required=False, help_text="e.g. Parcel, Express")

    def __init__(self, *args, shipments, **kwargs):
        super().__init__(*args, **kwargs)
        self.shipments = list(shipments)
        for shipment in self.shipments:
            # Not required here: the service says what is wrong (empty, duplicate, used), beside the field.
            self.fields[self.tracking_field(shipment)] = forms.CharField(
                label=f"{shipment.number} tracking number", max_length=60, required=False
            )

    @staticmethod
    def tracking_field(shipment) -> str:
        return f"tracking_{shipment.pk}"

    def rows(self):
        return [(shipment, self[self.tracking_field(shipment)]) for shipment in self.shipments]
