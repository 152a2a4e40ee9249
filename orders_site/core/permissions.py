"""Who may press which button: the checks the transition decorators use and the transition core runs."""


def staff_permission(codename: str):
    def check(instance, user) -> bool:
        return bool(user.is_active and user.is_staff and user.has_perm(codename))

    check.__name__ = f"has_{codename.replace('.', '_')}"
    return check
