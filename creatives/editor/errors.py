from prosocial.errors import UserFacingError


class EditorError(UserFacingError):
    """A refused edit: a bad document, a stale save, a missing version, a source that can't be used."""


class DocumentError(EditorError):
    """An edit document that is not valid; ``path`` names the field (``clips[2].speed``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path = path
        self.problem = problem


class StaleVersionError(EditorError):
    """A change based on a version the project has moved past (another tab, another member)."""
