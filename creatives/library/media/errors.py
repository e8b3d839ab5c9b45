"""The pipeline's refusals, kinds of the media library's one ``MediaError``.

``MediaRejected`` says why a file is refused (its ``code`` is for code, its ``message`` for
people); ``FfmpegError`` says why an ffmpeg run failed. Both are ``MediaError`` (so
``UserFacingError``), so a view or job can show ``.message`` as it is: messages never contain
paths or ffmpeg output.
"""

from creatives.library.errors import MediaError


class MediaRejected(MediaError):
    """A file we refuse to store or process, and why.

    Codes: ``empty``, ``too_large``, ``unsupported_type``, ``polyglot``, ``dimensions``,
    ``decompression_bomb``, ``truncated``, ``corrupt``, ``extra_streams``,
    ``unsupported_codec``, ``wrong_kind``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code)


class FfmpegError(MediaError):
    """An ffmpeg run that failed, timed out or was refused before it started.

    Codes: ``failed`` (non-zero exit), ``timeout``, ``refused`` (an argument looked like a
    URL). ``stderr_tail`` keeps ffmpeg's last error lines for logs, never for users.
    """

    def __init__(self, message: str, *, code: str = "failed", stderr_tail: str = "") -> None:
        super().__init__(message, code=code)
        self.stderr_tail = stderr_tail
