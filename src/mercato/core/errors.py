"""Domain errors: raised by services, mapped to 4xx by the API and shown by views."""


class DomainError(Exception):
    """A business rule refused the operation; nothing was changed."""

    code = "invalid"
    status = 422

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def errors(self) -> list[dict]:
        return [{"field": self.field, "message": self.message}] if self.field else []


class ValidationFailed(DomainError):
    """Input failed validation; `field_errors` maps each bad field to its messages."""

    def __init__(self, field_errors: dict[str, list[str]], message: str = "Invalid input"):
        super().__init__(message, code="invalid")
        self.field_errors = field_errors

    def errors(self) -> list[dict]:
        return [
            {"field": field, "message": str(msg)}
            for field, msgs in self.field_errors.items()
            for msg in msgs
        ]


class PermissionDeniedError(DomainError):
    code = "permission_denied"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409
