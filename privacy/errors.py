from prosocial.errors import UserFacingError


class PrivacyError(UserFacingError):
    """A privacy request or form that was refused, with the reason."""
