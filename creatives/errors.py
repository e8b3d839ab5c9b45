from prosocial.errors import UserFacingError


class MediaError(UserFacingError):
    """A media file or operation that was refused, with the reason."""


class GenerationError(UserFacingError):
    """A generation that can't start or couldn't finish; ``retryable`` says if trying again helps."""

    retryable = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable
