from prosocial.errors import UserFacingError


class PublishingError(UserFacingError):
    """A publishing request refused with a reason the user can act on."""


class PublishFailure(Exception):
    """A publication cannot go on: what failed, why, and what to do (shown on the timeline)."""

    def __init__(self, *, item: str, cause: str, fix: str) -> None:
        super().__init__(cause)
        self.item = item
        self.cause = cause
        self.fix = fix
