from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from invoicing.selectors import store_credit_entries_for
from orders.services.customers import (
    SignUpRefused,
    address_delete,
    address_save,
    customer_get_or_create_for_user,
    customer_profile_update,
    customer_sign_up,
)
from orders_site.core.exceptions import ApplicationError

from ..cart import DatabaseCartStore, SessionCartStore
from ..forms import AddressForm, ProfileForm, SignInForm, SignUpForm
from ..selectors import (
    address_list_for_customer,
    customer_for_user,
    order_history_decorate,
    order_history_for_customer,
    store_credit_for_user,
)
from ..services.cart import cart_merge
from .helpers import form_page, paginate, safe_next

ORDERS_PER_PAGE = 10


def _merge_guest_cart(request, user) -> None:
    merged = cart_merge(source=SessionCartStore(request.session), target=DatabaseCartStore(user))
    if merged:
        messages.info(request, "We added what was in your cart before you signed in.")


class SignInView(LoginView):
    """Sign in with e-mail and password; django-axes locks out repeated failures. The guest cart
    is merged into the account's cart."""

    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form):
        response = super().form_valid(form)
        _merge_guest_cart(self.request, form.get_user())
        return response


@form_page
def sign_up(request):
    if request.user.is_authenticated:
        return redirect("storefront:account")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = customer_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                phone=form.cleaned_data["phone"],
            )
        except SignUpRefused as error:
            form.add_error(error.extra.get("field"), error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            _merge_guest_cart(request, user)
            messages.success(request, "Welcome! Your account is ready.")
            return redirect(safe_next(request, reverse("storefront:account")))
    return render(request, "registration/sign_up.html", {"form": form, "next": safe_next(request, "")})


@require_safe
@login_required
def account(request):
    """The customer's order history, newest first."""
    page = paginate(request, order_history_for_customer(user=request.user), ORDERS_PER_PAGE)
    return render(
        request,
        "storefront/account.html",
        {
            "page": page,
            "orders": order_history_decorate(page.object_list),
            "customer": customer_for_user(user=request.user),
        },
    )


@require_safe
@login_required
def store_credit(request):
    """The customer's store credit: what they can spend, and where it came from and went."""
    customer = customer_for_user(user=request.user)
    return render(
        request,
        "storefront/store_credit.html",
        {
            "balance": store_credit_for_user(user=request.user),
            "entries": store_credit_entries_for(customer_id=customer.pk) if customer is not None else [],
        },
    )


@form_page
@login_required
def profile(request):
    customer = customer_for_user(user=request.user)
    initial = {
        "full_name": customer.full_name if customer else request.user.get_full_name(),
        "email": customer.email if customer else request.user.email,
        "phone": customer.phone if customer else "",
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            customer_profile_update(
                customer=customer or customer_get_or_create_for_user(user=request.user), **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error(error.extra.get("field"), error.message)
        else:
            messages.success(request, "Your details were saved.")
            return redirect("storefront:profile")
    return render(request, "storefront/profile.html", {"form": form})


@require_safe
@login_required
def address_book(request):
    addresses = address_list_for_customer(customer=customer_for_user(user=request.user))
    return render(request, "storefront/address_book.html", {"addresses": addresses})


def _own_address(request, address_id):
    customer = customer_for_user(user=request.user)
    address = next((a for a in address_list_for_customer(customer=customer) if a.pk == address_id), None)
    if address is None:
        raise Http404("No such address")
    return customer, address


@form_page
@login_required
def address_edit(request, address_id=None):
    customer, address = _own_address(request, address_id) if address_id else (None, None)
    initial = {name: getattr(address, name) for name in AddressForm().fields} if address else {}
    if not address:
        initial["full_name"] = request.user.get_full_name()
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        customer = customer or customer_get_or_create_for_user(user=request.user)
        try:
            address_save(customer=customer, data=form.address_data(), address_id=address_id)
        except ApplicationError as error:
            raise Http404(error.message) from error
        messages.success(request, "The address was saved.")
        return redirect("storefront:address_book")
    return render(request, "storefront/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_remove(request, address_id):
    customer, address = _own_address(request, address_id)
    address_delete(customer=customer, address_id=address.pk)
    messages.success(request, "The address was removed from your address book.")
    return redirect("storefront:address_book")
