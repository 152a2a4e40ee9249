"""The credit-note page's form: units per invoice line (`line_<id>`,
invoicing.services.credit_notes.units_field), the delivery fee, an amount and the reason. Only
whole numbers and money are checked here; the service says what else is wrong, beside the field."""

from django import forms


class CreditNoteForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        error_messages={"required": "Say why the invoice is corrected; the reason is printed on the credit note."},
        widget=forms.TextInput(attrs={"size": 60}),
    )
    include_shipping = forms.BooleanField(label="Credit the delivery fee", required=False)
    amount = forms.DecimalField(
        label="Amount (gross)",
        required=False,
        max_digits=12,
        decimal_places=2,
        help_text="A goodwill or price correction, tax included; split over the invoice's tax rates.",
        error_messages={"invalid": "Enter the amount as a number, for example 12.50."},
    )

    def __init__(self, *args, creditable, field_name, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = creditable.lines
        self.field_names = []
        for entry in self.entries:
            name = field_name(entry.line.pk)
            self.field_names.append(name)
            self.fields[name] = forms.IntegerField(
                label=f"{entry.line.sku or entry.line.description} to credit",
                required=False,
                min_value=0,
                widget=forms.NumberInput(attrs={"size": 5, "inputmode": "numeric"}),
                error_messages={
                    "invalid": "Enter a whole number of units, or leave it empty.",
                    "min_value": "Enter a whole number of units, or leave it empty.",
                },
            )

    def rows(self):
        """(invoice line with what is left of it, its field) pairs for the page's table."""
        return [(entry, self[name]) for entry, name in zip(self.entries, self.field_names, strict=True)]

    def units(self) -> dict[int, int]:
        return {
            entry.line.pk: self.cleaned_data[name]
            for entry, name in zip(self.entries, self.field_names, strict=True)
            if self.cleaned_data.get(name)
        }
