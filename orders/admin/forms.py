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
