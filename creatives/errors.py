from prosocial.errors import JobError, UserFacingError


class MediaError(UserFacingError):
    """A media file or operation that was refused, with the reason."""


class GenerationError(JobError):
    """A generation that can't start or couldn't finish; ``retryable`` says if trying again helps."""
