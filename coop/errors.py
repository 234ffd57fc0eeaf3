"""Errors the services raise. The API turns them into problem+json, the views into messages."""


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class InvalidInput(ServiceError):
    """The request is wrong in itself (400)."""

    status = 400
    code = "invalid"


class Conflict(ServiceError):
    """The request conflicts with the current state (409): approve twice, pay a rejection..."""

    status = 409
    code = "conflict"


class NotAllowed(ServiceError):
    status = 403
    code = "forbidden"
