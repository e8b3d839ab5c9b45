from prosocial.errors import UserFacingError


class MetaConnectionError(UserFacingError):
    """A Meta connection step that failed or was refused, explained for the user."""
