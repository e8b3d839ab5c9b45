from prosocial.errors import UserFacingError


class CampaignError(UserFacingError):
    """A campaign or cohort change refused with a reason the user can act on."""
