"""Errors raised by service functions; views turn them into 4xx responses."""

from django.utils.functional import Promise


class ServiceError(Exception):
    """A write was refused; `message` is the (translated) text shown to the user."""

    status_code = 422

    def __init__(
        self, message: str | Promise, *, on_field: str | None = None, **params: object
    ) -> None:
        self.message_template = message
        self.params = params
        # The form field the refusal is about (shown at that field), if any.
        self.on_field = on_field
        super().__init__(str(message) % params if params else str(message))

    @property
    def message(self) -> str:
        text = str(self.message_template)
        return text % self.params if self.params else text


class ConflictError(ServiceError):
    """The object changed since the form was loaded (lost-update detection)."""

    status_code = 409

    def __init__(
        self,
        message: str | Promise,
        *,
        current: object = None,
        on_field: str | None = None,
        **params: object,
    ):
        super().__init__(message, on_field=on_field, **params)
        self.current = current
