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


class RefundForm(forms.Form):
    """The refund page: how much, how, why; the IBAN and holder for a bank transfer (checked by the
    service, beside the field)."""

    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        error_messages={
            "required": "Enter the amount to pay back.",
            "invalid": "Enter the amount as a number, for example 12.50.",
        },
    )
    method = forms.ChoiceField(label="Pay back", choices=(), widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        error_messages={"required": "Say why the money is paid back; the customer reads it."},
        widget=forms.TextInput(attrs={"size": 60}),
    )
    iban = forms.CharField(label="IBAN", max_length=42, required=False, help_text="For a bank transfer")
    account_holder = forms.CharField(label="Account holder", max_length=200, required=False)

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = methods


class RefundRetryForm(forms.Form):
    iban = forms.CharField(label="IBAN", max_length=42, required=False, help_text="Leave empty to try the card again")
    account_holder = forms.CharField(label="Account holder", max_length=200, required=False)


class RefundTransferredForm(forms.Form):
    transfer_reference = forms.CharField(label="Bank reference", max_length=100, required=False)


class StoreCreditForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount",
        max_digits=12,
        decimal_places=2,
        error_messages={"invalid": "Enter the amount as a number, for example 12.50."},
    )
    reason = forms.CharField(label="Reason", max_length=300, widget=forms.TextInput(attrs={"size": 60}))
    expires_on = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Leave empty for credit that does not expire",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date, for example 2027-06-30."},
    )
