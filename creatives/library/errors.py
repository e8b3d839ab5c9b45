from prosocial.errors import UserFacingError


class MediaError(UserFacingError):
    """A media file or operation that was refused, with the reason."""
