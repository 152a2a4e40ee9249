"""Who may press which button. Used by the transition decorators and checked by the transition service."""


def staff_permission(codename: str):
    def check(instance, user) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perm(codename))

    check.__name__ = f"has_{codename.replace('.', '_')}"
    return check


def can_cancel(order, user) -> bool:
    """Staff with the permission, or the customer who owns the order."""
    if user.is_active and user.is_staff and user.has_perm("orders.cancel_order"):
        return True
    return bool(user.is_authenticated and order.customer.user_id == user.pk)
