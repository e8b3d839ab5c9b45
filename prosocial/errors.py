"""The base of every domain error whose message is safe to show to the user."""


class UserFacingError(Exception):
    """A refusal the user can act on; ``message`` is translated and safe to render.

    Services raise subclasses (``WorkspaceError``, ``PublishingError`` …); views turn them
    into a form error and HTTP 422, never a 500.
    """

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class JobError(UserFacingError):
    """A failure written on a job row; ``retryable`` says whether trying again later may help."""

    retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, retryable={self.retryable})"
