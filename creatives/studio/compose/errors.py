"""The composer's one error type.

``ComposeError`` is a ``MediaError`` (so a ``UserFacingError``): its ``message`` names the
part that failed ("scene 2's image", "the music") and why, never a path or ffmpeg output.
Codes: ``invalid_spec`` (the spec itself is wrong), ``bad_input`` (a part is missing or is
not the media it should be), ``render_failed`` (ffmpeg failed or timed out),
``bad_output`` (the result did not pass inspection).
"""

from creatives.library.errors import MediaError


class ComposeError(MediaError):
    """A composition that could not be rendered, and why."""

    def __init__(self, message: str, *, code: str, detail: str = "") -> None:
        super().__init__(message, code=code)
        self.detail = detail  # for logs only (ffmpeg's stderr tail), never for users
