"""The small forms behind the staff buttons and bulk actions."""

from django import forms


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
    carrier = forms.CharField(label="Carrier", max_length=60, required=False)
    service = forms.CharField(label="Service", max_length=60, required=False, help_text="e.g. Parcel, Express")
    tracking_number = forms.CharField(label="Tracking number", max_length=60, required=False)
    tracking_url = forms.URLField(label="Tracking URL", max_length=200, required=False, assume_scheme="https")


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
