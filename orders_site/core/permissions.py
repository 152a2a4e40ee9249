"""Who may press which button: the checks the transition decorators use and the transition core runs."""


def staff_permission(codename: str):
    def check(instance, user) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perm(codename))

    check.__name__ = f"has_{codename.replace('.', '_')}"
    return check


def staff_any_permission(*codenames: str):
    """A staff member holding any one of these permissions (a step two teams may take)."""

    def check(instance, user) -> bool:
        return bool(user.is_active and user.is_staff and any(user.has_perm(codename) for codename in codenames))

    check.__name__ = "has_any_" + "_or_".join(codename.replace(".", "_") for codename in codenames)
    return check
