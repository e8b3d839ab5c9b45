from prosocial.errors import UserFacingError


class InboxError(UserFacingError):
    """An inbox request refused with a reason the user can act on."""
