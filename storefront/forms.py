"""Storefront forms. They only check the shape of what was typed; services decide the rest."""

import re
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import format_html

from orders.models import DeliveryMethod, Order, ReturnRequest
from orders.selectors import voucher_code_problem
from orders.selectors.shipping import delivery_fee_for, delivery_methods_for
from orders.services.placement import MAX_LINE_QUANTITY, AddressData, delivery_choice_problems
from orders.services.verification import POSTAL_CODE_SHAPES
from orders_site.core.countries import country_choices, country_name
from orders_site.core.formatting import count_display, money_display, range_display

from .selectors import CATALOGUE_SORTS, delivery_fee_display

COUNTRIES = country_choices()  # (code, name), as orders_site.core.countries lists the shop's countries
POSTAL_CODE_EXAMPLES = {"NL": "1016 GV", "BE": "1000", "DE": "10115", "FR": "75001", "GB": "SW1A 1AA", "US": "10001"}
WEB_PAYMENT_METHODS = [
    (Order.PaymentMethod.BANK_TRANSFER, "Bank transfer"),
    (Order.PaymentMethod.CASH_ON_DELIVERY, "Cash on delivery"),
    (Order.PaymentMethod.CARD, "Card"),
]
PAYMENT_HINTS = {
    Order.PaymentMethod.BANK_TRANSFER: "Transfer the total quoting the payment reference you get with your order.",
    Order.PaymentMethod.CASH_ON_DELIVERY: "Pay the courier in cash when the parcel arrives.",
    Order.PaymentMethod.CARD: "Enter your card on the next page; it is charged when we invoice the delivered order.",
}


class StorefrontForm(forms.Form):
    """Optional fields say so in their label (`show_optional`); everything else is required."""

    optional_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.optional_fields:
            if name in self.fields:
                self.fields[name].show_optional = True


REQUIRED_MESSAGES = {
    "Full name": "Enter the full name.",
    "Street and house number": "Enter the street and house number.",
    "Postal code": "Enter the postal code.",
    "City": "Enter the city.",
    "Order number": "Enter the order number.",
}


def required_message(label: str) -> str:
    return REQUIRED_MESSAGES.get(label, f"Enter {label[0].lower()}{label[1:]}.")


def _text(label: str, *, required: bool = True, max_length: int = 200, autocomplete: str = "", **attrs):
    widget_attrs = {"autocomplete": autocomplete} if autocomplete else {}
    widget_attrs.update(attrs)
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs=widget_attrs),
        error_messages={"required": required_message(label)},
    )


def _email(help_text: str, *, max_length: int = 254) -> forms.EmailField:
    return forms.EmailField(
        label="E-mail address",
        max_length=max_length,
        help_text=help_text,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter your e-mail address.",
            "invalid": "Enter an e-mail address like name@example.com.",
        },
    )


def address_fields(*, prefix: str = "", section: str = "shipping") -> dict[str, forms.Field]:
    """The address fields, named `<prefix>full_name`... with browser autofill hints for `section`."""
    ac = f"{section} " if section else ""
    fields = {
        "full_name": _text("Full name", autocomplete=f"{ac}name"),
        "company": _text("Company", required=False, autocomplete=f"{ac}organization"),
        "line1": _text("Street and house number", autocomplete=f"{ac}address-line1"),
        "line2": _text("Apartment, floor, etc.", required=False, autocomplete=f"{ac}address-line2"),
        "postal_code": _text("Postal code", max_length=20, autocomplete=f"{ac}postal-code", size="10"),
        "city": _text("City", max_length=100, autocomplete=f"{ac}address-level2"),
        "region": _text("Region or state", required=False, max_length=100, autocomplete=f"{ac}address-level1"),
        "country": forms.ChoiceField(
            label="Country",
            choices=COUNTRIES,
            initial="NL",
            widget=forms.Select(attrs={"autocomplete": f"{ac}country"}),
        ),
        "phone": _text("Phone", required=False, max_length=40, autocomplete=f"{ac}tel", type="tel"),
    }
    return {f"{prefix}{name}": field for name, field in fields.items()}


ADDRESS_OPTIONAL = ("company", "line2", "region", "phone")
ADDRESS_REQUIRED = ("full_name", "line1", "postal_code", "city", "country")


def postal_code_error(*, country: str, postal_code: str) -> str:
    shape = POSTAL_CODE_SHAPES.get((country or "").upper())
    if shape and postal_code and not re.fullmatch(shape, postal_code.strip().upper()):
        example = POSTAL_CODE_EXAMPLES.get(country.upper())
        hint = f", for example {example}" if example else ""
        return f"Enter a postal code as used in {country_name(country)}{hint}."
    return ""


def address_data_from(cleaned: dict, *, prefix: str = "") -> AddressData:
    return AddressData(**{name: cleaned.get(f"{prefix}{name}") or "" for name in AddressData.__dataclass_fields__})


# --- Catalogue and cart --------------------------------------------------------------------------


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    category = forms.ChoiceField(label="Category", required=False)
    sort = forms.ChoiceField(
        label="Sort by", required=False, choices=[(key, label) for key, (label, _) in CATALOGUE_SORTS.items()]
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories")] + [(c.slug, c.name) for c in categories]
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": "Name or SKU"})


class AddToCartForm(StorefrontForm):
    optional_fields = ("notes",)

    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.IntegerField(
        label="Quantity",
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": "4"}),
        error_messages={"min_value": "Choose at least 1.", "max_value": f"At most {MAX_LINE_QUANTITY} at a time."},
    )
    notes = forms.CharField(
        label="Notes for this item",
        required=False,
        max_length=500,
        help_text="For example the text to engrave, or when to come and assemble.",
    )


class CartLineForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.IntegerField(
        label="Quantity",
        min_value=0,
        max_value=MAX_LINE_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "size": "4"}),
        error_messages={"min_value": "A quantity cannot be negative.", "max_value": f"At most {MAX_LINE_QUANTITY}."},
    )


class CartRemoveForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class DiscountCodeForm(StorefrontForm):
    code = forms.CharField(label="Discount code", required=False, max_length=40)


# --- Checkout ------------------------------------------------------------------------------------


def delivery_method_label(method: DeliveryMethod, fee: Decimal | None = None):
    """`fee`: before tax, as the method's rules give it for this cart and country."""
    fee = method.fee if fee is None else fee
    fee_text = "Free" if not fee else money_display(delivery_fee_display(method=method, fee=fee))
    if method.is_pickup:
        when = (
            "ready the same day"
            if method.max_days == 0
            else f"ready within {count_display(method.max_days, 'working day')}"
        )
    else:
        when = f"delivered in {range_display(method.min_days, method.max_days, 'working day')}"
    if method.free_above is not None and fee:
        when += f"; free from {money_display(method.free_above)} of goods before VAT"
    return format_html(
        '<span class="option-title">{}</span> <span class="option-meta">{}, {}</span>', method.name, fee_text, when
    )


class DeliveryMethodField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return delivery_method_label(obj)


class CheckoutForm(StorefrontForm):
    """Address, delivery and payment. Address fields are required only when they are used."""

    optional_fields = (
        tuple(f"ship_{n}" for n in ADDRESS_OPTIONAL)
        + tuple(f"bill_{n}" for n in ADDRESS_OPTIONAL)
        + ("requested_delivery_date", "delivery_instructions", "discount_code")
    )
    CHECKBOXES = ("billing_same", "save_address")

    def __init__(self, *args, addresses=(), is_guest=True, parcel=None, **kwargs):
        """`parcel`: (weight in grams, goods value before VAT) of the cart, for the delivery rules:
        only the methods that deliver it to the chosen country are shown, each with its fee, and
        a method that does not is refused beside the field. None: every active method, flat fees."""
        super().__init__(*args, **kwargs)
        self.is_guest = is_guest
        self.parcel = parcel
        self.addresses = {str(a.pk): a for a in addresses}
        fields = {}
        if is_guest:
            fields["email"] = _email("We send the order confirmation here. You need it to look your order up.")
        if self.addresses:
            fields["address_choice"] = forms.ChoiceField(
                label="Delivery address",
                choices=[(pk, str(a)) for pk, a in self.addresses.items()] + [("new", "A new address")],
                widget=forms.RadioSelect,
                initial=next(iter(self.addresses)),
                error_messages={"required": "Choose an address.", "invalid_choice": "Choose an address."},
            )
        fields.update(address_fields(prefix="ship_", section="shipping"))
        if not is_guest:
            fields["save_address"] = forms.BooleanField(
                label="Save this address in my address book", required=False, initial=True
            )
        fields["billing_same"] = forms.BooleanField(
            label="Send the invoice to this address", required=False, initial=True
        )
        fields.update(address_fields(prefix="bill_", section="billing"))
        methods = DeliveryMethod.objects.filter(is_active=True).order_by("sort_order", "fee", "pk")
        fields["delivery_method"] = DeliveryMethodField(
            label="Delivery",
            queryset=methods,
            to_field_name="code",
            widget=forms.RadioSelect,
            empty_label=None,
            error_messages={
                "required": "Choose how you want to receive your order.",
                "invalid_choice": "Choose how you want to receive your order.",
            },
        )
        # Read only when the form is shown: a form bound to posted or stored details (the POST, the
        # review page, placing) does not need it, and would pay a query for it otherwise.
        fields["delivery_method"].initial = lambda: methods.values_list("code", flat=True).first()
        if parcel is not None:
            fields["delivery_method"].widget.choices = self._applicable_choices
            fields["delivery_method"].initial = lambda: next((code for code, _ in self._applicable_choices()), None)
        fields["requested_delivery_date"] = forms.DateField(
            label="Preferred delivery date",
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text="Leave empty for as soon as possible.",
            error_messages={"invalid": "Enter a date like 2025-06-30."},
        )
        fields["delivery_instructions"] = forms.CharField(
            label="Instructions for delivery",
            required=False,
            max_length=500,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text="For example: ring twice, leave with the neighbours at number 12.",
        )
        fields["payment_method"] = forms.ChoiceField(
            label="Payment",
            choices=WEB_PAYMENT_METHODS,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose how you want to pay.", "invalid_choice": "Choose how you want to pay."},
        )
        fields["discount_code"] = forms.CharField(label="Discount code", required=False, max_length=40)
        self.fields.update(fields)
        for name in ADDRESS_REQUIRED:
            # Required only when used; clean() says which. The label still reads as required.
            self.fields[f"ship_{name}"].required = False
            self.fields[f"bill_{name}"].required = False
        for name in self.optional_fields:
            if name in self.fields:
                self.fields[name].show_optional = True

    @property
    def uses_new_address(self) -> bool:
        return not self.addresses or self.data.get(self.add_prefix("address_choice"), "new") == "new"

    def _require_address(self, cleaned: dict, prefix: str) -> None:
        for name in ADDRESS_REQUIRED:
            if not (cleaned.get(f"{prefix}{name}") or "").strip():
                self.add_error(f"{prefix}{name}", required_message(self.fields[f"{prefix}{name}"].label))
        message = postal_code_error(
            country=cleaned.get(f"{prefix}country", ""), postal_code=cleaned.get(f"{prefix}postal_code", "")
        )
        if message and f"{prefix}postal_code" not in self.errors:
            self.add_error(f"{prefix}postal_code", message)

    def destination_country(self, cleaned=None) -> str:
        """The country delivery goes to, as the form stands (cleaned, posted or initial values)."""
        source = cleaned if cleaned is not None else (self.data if self.is_bound else self.initial)
        if self.addresses:
            choice = source.get("address_choice") or ("new" if self.is_bound else next(iter(self.addresses)))
            saved = self.addresses.get(str(choice))
            if saved is not None:
                return saved.country.upper()
        return str(source.get("ship_country") or self.fields["ship_country"].initial or "").upper()

    def _applicable(self):
        if not hasattr(self, "_rates"):
            weight, goods = self.parcel
            self._rates = delivery_methods_for(
                country=self.destination_country(), weight_grams=weight, goods_total=goods
            )
        return self._rates

    def _applicable_choices(self):
        return [(method.code, delivery_method_label(method, fee)) for method, fee in self._applicable()]

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("address_choice", "new") if self.addresses else "new"
        if choice == "new":
            self._require_address(cleaned, "ship_")
        if not cleaned.get("billing_same"):
            self._require_address(cleaned, "bill_")
        method = cleaned.get("delivery_method")
        if method and self.parcel is not None:
            country = self.destination_country(cleaned)
            weight, goods = self.parcel
            if delivery_fee_for(method=method, country=country, weight_grams=weight, goods_total=goods) is None:
                self.add_error(
                    "delivery_method",
                    f"{method.name} does not deliver this order to {country_name(country)}"
                    " (destination or weight); choose another way to receive it.",
                )
        if method:
            for field, message in delivery_choice_problems(
                delivery_method=method,
                payment_method=cleaned.get("payment_method"),
                requested_delivery_date=cleaned.get("requested_delivery_date"),
            ):
                self.add_error(field, message)
        code = (cleaned.get("discount_code") or "").strip().upper()
        cleaned["discount_code"] = code
        problem = voucher_code_problem(code=code) if code else ""
        if problem:
            self.add_error("discount_code", problem)
        return cleaned

    def saved_address(self):
        if not self.addresses:
            return None
        return self.addresses.get(self.cleaned_data.get("address_choice", "new"))

    def shipping_address_data(self) -> AddressData:
        saved = self.saved_address()
        if saved is not None:
            return AddressData.from_address(saved)
        return address_data_from(self.cleaned_data, prefix="ship_")

    def billing_address_data(self) -> AddressData:
        if self.cleaned_data.get("billing_same"):
            return self.shipping_address_data()
        return address_data_from(self.cleaned_data, prefix="bill_")

    @classmethod
    def initial_from_stored(cls, stored: dict) -> dict:
        """Turn what was posted before (kept in the session) back into initial values for the form."""
        initial = dict(stored)
        for name in cls.CHECKBOXES:
            initial[name] = bool(stored.get(name))
        return initial


CARD_REQUIRED = {
    "card_number": "Enter your card number.",
    "card_expiry": "Enter the expiry date.",
    "card_cvc": "Enter the security code.",
}


class PlaceOrderForm(StorefrontForm):
    """The review step: the one-time key, and card details when paying by card (never stored)."""

    idempotency_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, needs_card: bool = False, store_credit: Decimal = Decimal(0), **kwargs):
        """`store_credit`: the signed-in customer's balance; above zero, they may pay with it first
        (then the card is asked only for the rest, so its fields may stay empty when the credit
        covers the total; the gateway refuses an empty card for a rest above zero, beside the field)."""
        super().__init__(*args, **kwargs)
        self.needs_card = needs_card
        self.store_credit = store_credit
        if store_credit > 0:
            self.fields["use_store_credit"] = forms.BooleanField(
                label=f"Pay with my store credit ({money_display(store_credit)} available)",
                required=False,
                initial=True,
            )
        if needs_card:
            self.fields["card_number"] = forms.CharField(
                label="Card number",
                max_length=23,
                widget=forms.TextInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
                error_messages={"required": "Enter your card number."},
            )
            self.fields["card_expiry"] = forms.RegexField(
                label="Expiry date (MM/YY)",
                regex=r"^\s*(0[1-9]|1[0-2])\s*/\s*\d{2}\s*$",
                widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "size": "6"}),
                error_messages={
                    "required": "Enter the expiry date.",
                    "invalid": "Enter the expiry date as MM/YY, like 08/29.",
                },
            )
            self.fields["card_cvc"] = forms.RegexField(
                label="Security code",
                regex=r"^\s*\d{3,4}\s*$",
                widget=forms.PasswordInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "size": "5"}),
                help_text="The 3 or 4 digits on the back of the card.",
                error_messages={
                    "required": "Enter the security code.",
                    "invalid": "Enter the 3 or 4 digit security code.",
                },
            )
            if "use_store_credit" in self.fields:  # required unless the credit pays (clean)
                for name in CARD_REQUIRED:
                    self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        if self.needs_card and "use_store_credit" in self.fields and not cleaned.get("use_store_credit"):
            for name, message in CARD_REQUIRED.items():
                if not self.data.get(self.add_prefix(name), "").strip() and name not in self.errors:
                    self.add_error(name, message)
        return cleaned

    def clean_card_number(self):
        if not self.cleaned_data["card_number"]:
            return ""  # paying with store credit: the card is asked only for a rest
        digits = re.sub(r"[\s-]", "", self.cleaned_data["card_number"])
        if not digits.isdigit() or not 12 <= len(digits) <= 19:
            raise ValidationError("Enter the card number as it is printed on the card (12 to 19 digits).")
        return digits

    def clean_card_expiry(self):
        if not self.cleaned_data["card_expiry"]:
            return ""
        value = self.cleaned_data["card_expiry"].replace(" ", "")
        month, year = int(value[:2]), 2000 + int(value[-2:])
        today = timezone.localdate()
        if (year, month) < (today.year, today.month):
            raise ValidationError("This card has expired.")
        return value


# --- Accounts ------------------------------------------------------------------------------------


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The e-mail address or password is not right. Check both and try again.",
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class CustomerDetailsForm(StorefrontForm):
    """Name, e-mail (the sign-in) and phone: what signing up asks and the profile changes."""

    optional_fields = ("phone",)

    full_name = _text("Full name", autocomplete="name")
    email = _email("You sign in with this address.", max_length=150)
    phone = _text("Phone", required=False, max_length=40, autocomplete="tel", type="tel")


class SignUpForm(CustomerDetailsForm):
    email = _email("You sign in with it, and we send your order updates here.", max_length=150)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
        error_messages={"required": "Choose a password."},
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Type the password again."},
    )

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords are not the same.")
        elif password1:
            candidate = get_user_model()(username=cleaned.get("email", ""), email=cleaned.get("email", ""))
            try:
                validate_password(password1, user=candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(CustomerDetailsForm):
    pass


class AddressForm(StorefrontForm):
    optional_fields = ADDRESS_OPTIONAL

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(address_fields(section=""))
        for name in self.optional_fields:
            self.fields[name].show_optional = True

    def clean(self):
        cleaned = super().clean()
        message = postal_code_error(country=cleaned.get("country", ""), postal_code=cleaned.get("postal_code", ""))
        if message and "postal_code" not in self.errors:
            self.add_error("postal_code", message)
        return cleaned

    def address_data(self) -> AddressData:
        return address_data_from(self.cleaned_data)


class GuestLookupForm(StorefrontForm):
    number = _text("Order number", max_length=20, autocomplete="off", inputmode="numeric")
    email = _email("The address you placed the order with.")


class CancelOrderForm(StorefrontForm):
    optional_fields = ("reason",)

    reason = forms.CharField(
        label="Why are you cancelling?",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional; it helps us do better.",
    )


RATING_CHOICES = [(5, "5 – excellent"), (4, "4 – good"), (3, "3 – fair"), (2, "2 – poor"), (1, "1 – very poor")]


class FeedbackForm(StorefrontForm):
    optional_fields = ("comment",)

    overall_rating = forms.TypedChoiceField(
        label="How was your order overall?",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a rating from 1 to 5.", "invalid_choice": "Choose a rating from 1 to 5."},
    )
    comment = forms.CharField(
        label="Anything you want to tell us?", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        comment = self.fields.pop("comment")
        for product in self.products:
            self.fields[f"product_{product.pk}"] = forms.TypedChoiceField(
                label=product.name,
                choices=RATING_CHOICES,
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"product_{product.pk}"].show_optional = True
        self.fields["comment"] = comment

    def product_ratings(self) -> dict[int, int]:
        return {
            product.pk: self.cleaned_data[f"product_{product.pk}"]
            for product in self.products
            if self.cleaned_data.get(f"product_{product.pk}") not in (None, "")
        }


class ReturnRequestForm(StorefrontForm):
    """Which delivered items go back (units per line), why, and how the money comes back. The
    service checks the units against what was delivered and the deadline, beside each line."""

    optional_fields = ("comment", "iban", "account_holder")

    reason = forms.ChoiceField(
        label="Why are you sending it back?",
        choices=[("", "Choose a reason"), *ReturnRequest.Reason.choices],
        error_messages={"required": "Choose why you send it back.", "invalid_choice": "Choose a reason from the list."},
    )
    comment = forms.CharField(
        label="Anything we should know?", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, returnable, field_name, can_store_credit: bool, needs_iban: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = [entry for entry in returnable if entry.left]
        self.field_names = []
        for entry in self.entries:
            name = field_name(entry.line.pk)
            self.field_names.append(name)
            self.fields[name] = forms.TypedChoiceField(
                label=f"{entry.line.name}: how many to send back",
                choices=[(n, str(n)) for n in range(entry.left + 1)],
                coerce=int,
                initial=0,
                required=False,
                empty_value=0,
                error_messages={"invalid_choice": f"Choose from 0 to {entry.left}."},
            )
        refund_choices = [(ReturnRequest.RefundTo.ORIGINAL, "Refund the way I paid")]
        if can_store_credit:
            refund_choices.append((ReturnRequest.RefundTo.STORE_CREDIT, "Store credit in my account"))
        self.fields["refund_to"] = forms.ChoiceField(
            label="How do you want the money back?",
            choices=refund_choices,
            initial=ReturnRequest.RefundTo.ORIGINAL,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose how you want the money back."},
        )
        if needs_iban:
            self.fields["iban"] = forms.CharField(
                label="Your IBAN, for a refund by bank transfer",
                required=False,
                max_length=42,
                help_text="Only if you paid by bank transfer and chose a refund the way you paid.",
            )
            self.fields["account_holder"] = forms.CharField(label="Account holder", required=False, max_length=200)

    def rows(self):
        return [(entry, self[name]) for entry, name in zip(self.entries, self.field_names, strict=True)]

    def units(self) -> dict[int, int]:
        return {
            entry.line.pk: self.cleaned_data.get(name) or 0
            for entry, name in zip(self.entries, self.field_names, strict=True)
            if self.cleaned_data.get(name)
        }
