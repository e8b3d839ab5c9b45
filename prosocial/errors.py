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
