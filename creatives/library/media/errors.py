"""The media library's one error family.

``MediaRejected`` says why a file is refused (its ``code`` is for code, its ``message`` for
people); ``FfmpegError`` says why an ffmpeg run failed. Both are ``UserFacingError`` so a
view or job can show ``.message`` as it is: messages never contain paths or ffmpeg output.
"""

from prosocial.errors import UserFacingError


class MediaError(UserFacingError):
    """Base of every error the media library raises on purpose."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class MediaRejected(MediaError):
    """A file we refuse to store or process, and why.

    Codes: ``empty``, ``too_large``, ``unsupported_type``, ``polyglot``, ``dimensions``,
    ``decompression_bomb``, ``truncated``, ``corrupt``, ``extra_streams``,
    ``unsupported_codec``, ``wrong_kind``.
    """


class FfmpegError(MediaError):
    """An ffmpeg run that failed, timed out or was refused before it started.

    Codes: ``failed`` (non-zero exit), ``timeout``, ``refused`` (an argument looked like a
    URL). ``stderr_tail`` keeps ffmpeg's last error lines for logs, never for users.
    """

    def __init__(self, message: str, *, code: str = "failed", stderr_tail: str = "") -> None:
        super().__init__(message, code=code)
        self.stderr_tail = stderr_tail
