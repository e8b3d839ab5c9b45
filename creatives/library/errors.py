"""The media library's one error type.

The pipeline's refusals (``creatives.library.media.errors``) and the composer's
``ComposeError`` are kinds of it, so ``except MediaError`` catches every media failure a
person can act on.
"""

from prosocial.errors import UserFacingError


class MediaError(UserFacingError):
    """A media file or operation that was refused: ``message`` for people, ``code`` for code.

    Services raise it as it is (``code`` ``refused``: a role, the storage quota, a file not
    ready); the pipeline raises its subclasses ``MediaRejected`` and ``FfmpegError`` with
    their own codes. Messages never contain paths or ffmpeg output.
    """

    def __init__(self, message: str, *, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"
