"""Who may cancel an order: staff with the permission, or the customer who owns it."""


def can_cancel(order, user) -> bool:
    if user.is_active and user.is_staff and user.has_perm("orders.cancel_order"):
        return True
    return bool(user.is_authenticated and order.customer.user_id == user.pk)
