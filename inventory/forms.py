"""Forms of the staff console. They only read input; the services do the work."""

from django import forms

from .models import BinLocation, Product, Supplier, Warehouse


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
                label=_level_label(level), required=False, min_value=self.min_value
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


class ReceiveStockForm(LevelQuantitiesForm):
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


class ReceiveNewStockForm(forms.Form):
    """Receive a product into a warehouse that has no stock level for it yet."""

    product = forms.ModelChoiceField(queryset=None)
    warehouse = forms.ModelChoiceField(queryset=Warehouse.objects.filter(is_active=True))
    bin_location = forms.ModelChoiceField(queryset=BinLocation.objects.select_related("warehouse"), required=False)
    quantity = forms.IntegerField(min_value=1)
    reference = forms.CharField(max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(kind=Product.Kind.PHYSICAL).order_by("sku")


class PurchaseOrderReceiveForm(forms.Form):
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
                min_value=0,
                max_value=line.outstanding,
                initial=line.outstanding,
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
