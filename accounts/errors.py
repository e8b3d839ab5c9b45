from prosocial.errors import UserFacingError


class WorkspaceError(UserFacingError):
    """A refused change to a workspace, membership or invitation."""
