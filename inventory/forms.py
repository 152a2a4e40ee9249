"""Forms of the staff console. They only read input; the services do the work."""

from django import forms
from django.conf import settings

from .models import BinLocation, Product, Supplier, Warehouse


def movement_quantity_bounds(*, min_value: int | None, max_value: int | None = None) -> dict:
    """IntegerField arguments for a number of units on one stock line: at most
    STOCK_MOVEMENT_MAX_QUANTITY either way (the services refuse more too), read when the form is
    made, with messages a person can act on. `min_value=None` allows as far down as up."""
    limit = settings.STOCK_MOVEMENT_MAX_QUANTITY
    upper = limit if max_value is None else min(max_value, limit)
    lower = -limit if min_value is None else min_value
    messages = {}
    if upper == limit:  # a smaller bound (what is outstanding) keeps Django's message
        messages["max_value"] = f"At most {limit:,} units in one go; check the number, or split it into several."
    if min_value is None:
        messages["min_value"] = f"At most {limit:,} units down in one go; check the number."
    return {"min_value": lower, "max_value": upper, "error_messages": messages}


class LargeReceiptConfirmation:
    """Form mixin: a receipt line above STOCK_RECEIPT_CONFIRM_ABOVE units needs a tick. The service
    asks (LargeReceiptUnconfirmed); `ask_to_confirm` then shows the box with its message, and the
    box stays on the form while it is posted back."""

    confirm_field = "confirm_large"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.confirm_field in self.data:
            self._add_confirm_field()

    def _add_confirm_field(self):
        self.fields[self.confirm_field] = forms.BooleanField(label="Yes, receive this many", required=False)

    @property
    def large_receipt_confirmed(self) -> bool:
        return bool(self.cleaned_data.get(self.confirm_field))

    def ask_to_confirm(self, message: str) -> None:
        if self.confirm_field not in self.fields:
            self._add_confirm_field()
        self.add_error(self.confirm_field, message)


def _level_label(level) -> str:
    where = f"{level.product.sku} {level.product.name} @ {level.warehouse.code}"
    return f"{where} (on hand {level.on_hand}, allocated {level.allocated})"


class LevelQuantitiesForm(forms.Form):
    """One number per selected stock level, plus the fields every line shares."""

    field_prefix = "level_"
    quantity_label = "Quantity"
    min_value: int | None = 0

    def __init__(self, *args, levels, **kwargs):
        super().__init__(*args, **kwargs)
        self.levels = list(levels)
        for level in self.levels:
            self.fields[f"{self.field_prefix}{level.pk}"] = forms.IntegerField(
                label=_level_label(level), required=False, **movement_quantity_bounds(min_value=self.min_value)
            )

    def level_fields(self):
        return [self[f"{self.field_prefix}{level.pk}"] for level in self.levels]

    def quantities(self) -> list[tuple[object, int]]:
        """(level, number) for every level with a number other than 0."""
        result = []
        for level in self.levels:
            value = self.cleaned_data.get(f"{self.field_prefix}{level.pk}")
            if value:
                result.append((level, value))
        return result

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.quantities():
            raise forms.ValidationError("Enter a quantity for at least one stock level.")
        return cleaned


class ReceiveStockForm(LargeReceiptConfirmation, LevelQuantitiesForm):
    reference = forms.CharField(max_length=64, required=False, help_text="Delivery note or supplier document")


class AdjustStockForm(LevelQuantitiesForm):
    min_value = None
    reason = forms.CharField(max_length=200, help_text="Why the count differs: recount, damage found, ...")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.level_fields():
            field.field.help_text = "Change in units on hand: +3 found, -2 missing"


class WriteOffStockForm(LevelQuantitiesForm):
    reason = forms.CharField(max_length=200, help_text="Damaged, expired, lost, ...")


class ReceiveNewStockForm(LargeReceiptConfirmation, forms.Form):
    """Receive a product into a warehouse that has no stock level for it yet."""

    product = forms.ModelChoiceField(queryset=None)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    bin_location = forms.ModelChoiceField(queryset=BinLocation.objects.select_related("warehouse"), required=False)
    quantity = forms.IntegerField(min_value=1)  # bounded in __init__, when the setting is read
    reference = forms.CharField(max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(kind=Product.Kind.PHYSICAL).order_by("sku")
        self.fields["quantity"] = forms.IntegerField(**movement_quantity_bounds(min_value=1))


class PurchaseOrderReceiveForm(LargeReceiptConfirmation, forms.Form):
    note = forms.CharField(max_length=500, required=False, widget=forms.TextInput)
    bin_location = forms.ModelChoiceField(queryset=BinLocation.objects.none(), required=False)

    def __init__(self, *args, purchase_order, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [line for line in purchase_order.lines.select_related("product") if line.outstanding]
        self.fields["bin_location"].queryset = BinLocation.objects.filter(warehouse=purchase_order.warehouse_id)
        for line in self.lines:
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=f"{line.product.sku} {line.product.name} ({line.quantity_received}/{line.quantity_ordered} in)",
                required=False,
                initial=line.outstanding,
                **movement_quantity_bounds(min_value=0, max_value=line.outstanding),
            )

    def line_fields(self):
        return [self[f"line_{line.pk}"] for line in self.lines]

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}


class DraftPurchaseOrdersForm(forms.Form):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.all())
    levels = forms.TypedMultipleChoiceField(coerce=int, choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, level_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["levels"].choices = [(pk, pk) for pk in level_ids]
