from prosocial.errors import UserFacingError


class InsightsError(UserFacingError):
    """A results request refused with a reason the user can act on."""
