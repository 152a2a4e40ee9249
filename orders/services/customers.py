"""Customer accounts: sign-up, profile, address book, and the customer record behind a guest order."""

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from orders_site.core.exceptions import ApplicationError

from ..locks import address_book_entry_lock, customer_lock, guest_customer_lock
from ..models import Address, Customer
from .placement import AddressData


class SignUpRefused(ApplicationError):
    pass


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _email_taken(email: str, *, except_user=None) -> bool:
    users = get_user_model().objects.filter(username__iexact=email) | get_user_model().objects.filter(
        email__iexact=email
    )
    if except_user is not None:
        users = users.exclude(pk=except_user.pk)
    return users.exists()


@transaction.atomic
def customer_sign_up(*, email: str, password: str, full_name: str, phone: str = ""):
    """Create a shop account: a user whose username is the e-mail address, and its customer record.

    Orders placed earlier as a guest with the same address stay guest orders: nobody has proven
    they own that inbox yet, and a sign-up must not reveal someone else's orders.
    Raises SignUpRefused (extra["field"]) when the address is taken or the password is weak.
    """
    email = _normalise_email(email)
    full_name = full_name.strip()
    if not email:
        raise SignUpRefused("Enter your e-mail address.", extra={"field": "email"})
    if not full_name:
        raise SignUpRefused("Enter your name.", extra={"field": "full_name"})
    taken = SignUpRefused(
        "There is already an account with this e-mail address. Sign in, or reset your password.",
        extra={"field": "email"},
    )
    if _email_taken(email):
        raise taken
    first_name, _, last_name = full_name.partition(" ")
    user_model = get_user_model()
    candidate = user_model(username=email, email=email, first_name=first_name[:150], last_name=last_name[:150])
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise SignUpRefused(" ".join(error.messages), extra={"field": "password1"}) from error
    try:
        with transaction.atomic():
            user = user_model.objects.create_user(
                username=email,
                email=email,
                password=password,
                first_name=first_name[:150],
                last_name=last_name[:150],
            )
    except IntegrityError as error:  # the same address signed up a moment ago
        raise taken from error
    Customer.objects.create(user=user, email=email, full_name=full_name, phone=phone.strip())
    return user


@transaction.atomic(savepoint=False)
def customer_get_or_create_for_user(*, user) -> Customer:
    """The customer record of a signed-in user, created from the user on first need (staff, old accounts).
    In the caller's transaction when there is one (the checkout's), without a savepoint."""
    customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        return customer
    full_name = user.get_full_name() or user.get_username()
    return Customer.objects.create(user=user, email=user.email or user.get_username(), full_name=full_name)


@transaction.atomic
def customer_profile_update(*, customer: Customer, full_name: str, email: str, phone: str = "") -> Customer:
    """Change name, e-mail address (which is also the sign-in name) and phone.

    Locks: orders.locks.customer_lock. Raises ApplicationError when the address belongs to another account.
    """
    customer = customer_lock(customer_id=customer.pk)
    email = _normalise_email(email)
    if not full_name.strip():
        raise ApplicationError("Enter your name.", extra={"field": "full_name"})
    user = customer.user
    if user is not None and email != user.email.lower() and _email_taken(email, except_user=user):
        raise ApplicationError("Another account uses this e-mail address.", extra={"field": "email"})
    customer.full_name = full_name.strip()
    customer.email = email
    customer.phone = phone.strip()
    customer.save(update_fields=["full_name", "email", "phone", "updated_at"])
    if user is not None:
        first_name, _, last_name = customer.full_name.partition(" ")
        user.email = email
        if "@" in user.get_username():  # shop accounts sign in with their e-mail; staff keep their name
            user.username = email
        user.first_name, user.last_name = first_name[:150], last_name[:150]
        user.save(update_fields=["email", "username", "first_name", "last_name"])
    return customer


@transaction.atomic(savepoint=False)
def customer_for_guest(*, email: str, full_name: str, phone: str = "") -> Customer:
    """The customer record behind a guest checkout (no user), reused for the same e-mail address so
    that verification's per-customer risk rules see a guest's earlier orders.
    In the caller's transaction when there is one, without a savepoint: the storefront's checkout
    finds or makes it inside the order's (lifecycle.checkout.order_checkout's `customer_find`), so
    a refused checkout leaves no record and no changed name behind.
    Locks: orders.locks.guest_customer_lock. Raises ApplicationError without a name or address."""
    email = _normalise_email(email)
    if not email or not full_name.strip():
        raise ApplicationError("Enter your name and e-mail address.", extra={"field": "email"})
    customer = guest_customer_lock(email=email)
    if customer is None:
        return Customer.objects.create(email=email, full_name=full_name.strip(), phone=phone.strip())
    customer.full_name = full_name.strip()
    customer.phone = phone.strip() or customer.phone
    customer.save(update_fields=["full_name", "phone", "updated_at"])
    return customer


def _address_fields(data: AddressData) -> dict:
    fields = {name: (getattr(data, name) or "").strip() for name in AddressData.__dataclass_fields__}
    fields["country"] = fields["country"].upper()
    return fields


@transaction.atomic
def address_save(*, customer: Customer, data: AddressData, address_id: int | None = None) -> Address:
    """Add an address to the customer's address book, or change one of theirs.

    Orders keep their own frozen copies, so changing an entry never changes a placed order.
    Locks: orders.locks.address_book_entry_lock. Raises ApplicationError when `address_id` is not
    one of this customer's addresses.
    """
    fields = _address_fields(data)
    if address_id is None:
        return Address.objects.create(customer=customer, **fields)
    address = address_book_entry_lock(customer_id=customer.pk, address_id=address_id)
    if address is None:
        raise ApplicationError("This address is not in your address book.")
    for name, value in fields.items():
        setattr(address, name, value)
    address.save()
    return address


@transaction.atomic
def address_delete(*, customer: Customer, address_id: int) -> None:
    """Remove an entry from the address book. Raises ApplicationError when it is not the customer's.

    An entry that an order points at (orders entered by staff may) is taken out of the book but kept.
    """
    address = Address.objects.filter(customer=customer, pk=address_id).first()
    if address is None:
        raise ApplicationError("This address is not in your address book.")
    try:
        address.delete()
    except ProtectedError:
        Address.objects.filter(pk=address.pk).update(customer=None)


def customer_for_checkout(*, user, email: str, full_name: str, phone: str = "") -> Customer:
    """Who an order placed at the checkout belongs to: the signed-in user's customer record, or the
    guest record for this e-mail address (see `customer_for_guest`), in the caller's transaction.
    Raises ApplicationError."""
    if user is not None and user.is_authenticated:
        return customer_get_or_create_for_user(user=user)
    return customer_for_guest(email=email, full_name=full_name, phone=phone)


@transaction.atomic
def customer_create_by_staff(
    *, full_name: str, email: str, phone: str = "", company: str = "", address: AddressData | None = None
) -> Customer:
    """A customer that customer service enters for a phone, e-mail or counter order (no shop
    account), with `address` in their address book. Refused (ApplicationError, extra["field"]
    "email") when a customer with this e-mail address exists: staff choose that one instead, so one
    person does not become two records. Also refused without a name or a plausible e-mail address.
    Locks nothing; writes the customer and the address."""
    email = _normalise_email(email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise ApplicationError("Enter the customer's name.", extra={"field": "full_name"})
    if "@" not in email or len(email) > 254:
        raise ApplicationError("Enter the customer's e-mail address.", extra={"field": "email"})
    if Customer.objects.filter(email__iexact=email).exists():
        raise ApplicationError(
            "A customer with this e-mail address exists already: find and choose them above.",
            extra={"field": "email"},
        )
    customer = Customer.objects.create(
        full_name=full_name, email=email, phone=(phone or "").strip(), company=(company or "").strip()
    )
    if address is not None:
        Address.objects.create(customer=customer, **_address_fields(address))
    return customer
