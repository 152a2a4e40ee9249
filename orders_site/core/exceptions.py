class ApplicationError(Exception):
    """A business rule refused the request. `message` is written for a person to read."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class TransitionRefused(ApplicationError):
    """A state change is not possible from the current state, or not permitted to this person."""


class PermissionRefused(TransitionRefused):
    pass
