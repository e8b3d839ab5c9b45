"""Receive uploaded files in one pass: write, hash, sniff, scan and cap as the bytes arrive.

``OnePassUploadHandler`` (in ``FILE_UPLOAD_HANDLERS``) replaces Django's memory and
temporary-file handlers. Each chunk the multipart parser hands over is, in this order:

- counted against the size cap of the file's kind (known from its first bytes; before that,
  the largest cap): past it the file is refused at once, its temporary file removed, and the
  rest of its bytes read and dropped;
- sniffed while the first ``HEAD_BYTES`` arrive: a file that is no accepted image, video or
  audio container is refused the same way, with the message ``inspect_file`` would give;
- fed to the polyglot scan (``sniff.PolyglotScanner``: ``#EXTM3U`` everywhere, markup in
  images and near the ends of audio/video) and to SHA-256;
- written to a temporary file on the same filesystem as the media storage when that is the
  local disk, so keeping the file is a rename (``services._keep_files``), not a copy.

A refused file reaches the view as a ``RefusedUpload`` in its place among ``request.FILES``
(so answers keep the order the files were sent in); ``services.upload_media`` raises its
``MediaRejected``. Nothing else changes: ``upload_media`` still runs the full inspection,
quota and re-encode, and only skips the passes done here (the scan and the hash).

It is the only handler in ``FILE_UPLOAD_HANDLERS`` because the media library is the only place
that takes files. A future form taking other files (a CSV, a PDF) would be refused here: give
that view its own ``request.upload_handlers`` (set before anything reads ``request.POST``, i.e.
under ``csrf_exempt`` + ``csrf_protect``, as Django's upload-handler docs describe).
"""

import contextlib
import hashlib
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from creatives.library.media.errors import MediaRejected
from creatives.library.media.inspect import default_max_bytes, likely_kind, size_refusal
from creatives.library.media.sniff import HEAD_BYTES, PolyglotScanner, Sniffed, sniff_bytes

# Chunks the multipart parser hands over (the smallest chunk_size of the handlers wins).
DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024
INCOMING_FOLDER = ".incoming"
# Hashing and writing a chunk release the GIL, so one thread does them while the request's
# thread reads and parses the next chunk (two cores: the receive costs about what the socket
# and the disk do). One chunk in flight per upload, in order; shared by a process's uploads.
_WRITER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="upload-writer")


def incoming_folder() -> Path | None:
    """Return the folder next to the media where uploads are received (local storage only)."""
    storage: Any = default_storage
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location) / INCOMING_FOLDER
    return None


def upload_temp_dir() -> str | None:
    """Return the folder uploads are received into: next to the media when stored locally."""
    folder = incoming_folder()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    return settings.FILE_UPLOAD_TEMP_DIR or None


class ReceivedUpload(TemporaryUploadedFile):
    """An upload on disk, with what was learned while receiving it."""

    def __init__(self, name: str, content_type: str, charset: str | None, extra: Any) -> None:
        # TemporaryUploadedFile's own __init__ picks FILE_UPLOAD_TEMP_DIR; ours is by storage.
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=upload_temp_dir())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, 0, charset, extra)
        self.sha256 = ""
        self.polyglot_checked = False


class RefusedUpload(UploadedFile):
    """A file refused while it arrived: no bytes kept, only why."""

    def __init__(self, name: str, refusal: MediaRejected) -> None:
        super().__init__(None, name, None, 0)
        self.refusal = refusal

    def close(self) -> None:
        return None


class OnePassUploadHandler(FileUploadHandler):
    chunk_size = DEFAULT_CHUNK_BYTES

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.chunk_size = int(getattr(settings, "MEDIA_UPLOAD_CHUNK_BYTES", DEFAULT_CHUNK_BYTES))

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file: ReceivedUpload | None = ReceivedUpload(
            self.file_name or "upload", self.content_type or "", self.charset, None
        )
        self.digest = hashlib.sha256()
        self.limits = default_max_bytes()
        self.cap = max(self.limits.values())
        self.kind = ""
        self.head = b""  # the first bytes, until the type is known
        self.scanner: PolyglotScanner | None = None
        self.refusal: MediaRejected | None = None
        self.pending: Future[None] | None = None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        if self.refusal is not None:
            return  # refused: the rest of this file is read and dropped
        try:
            if self.scanner is None:
                self.head += raw_data
                if len(self.head) < HEAD_BYTES:
                    self._write(raw_data)
                    return
                head = self.head
                self._learn_type(head)  # refuses an unaccepted type
                self._check_cap(start + len(raw_data))
                self._scan(head)  # every byte so far, this chunk included, scanned once
            else:
                self._check_cap(start + len(raw_data))
                self._scan(raw_data)
        except MediaRejected as refusal:
            self._refuse(refusal)
            return
        self._write(raw_data)

    def _scan(self, data: bytes) -> None:
        if self.scanner is not None:
            self.scanner.feed(data)

    def _write(self, raw_data: bytes) -> None:
        """Hash and write ``raw_data`` in the writer thread, after the chunk before it."""
        self._settle()
        if self.file is not None:
            self.pending = _WRITER.submit(self._hash_and_write, self.file, raw_data)

    def _hash_and_write(self, file: ReceivedUpload, raw_data: bytes) -> None:
        self.digest.update(raw_data)
        file.write(raw_data)

    def _settle(self) -> None:
        """Wait for the chunk in flight; its error (a full disk) is raised here."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.result()

    def _learn_type(self, head: bytes) -> None:
        if head.startswith(b"ID3"):
            sniffed = Sniffed("av", "mp3")  # MP3 or ADTS AAC behind a tag: audio either way
        else:
            sniffed = sniff_bytes(head[:HEAD_BYTES])  # refuses an unaccepted type
        self.kind = likely_kind(sniffed)
        self.cap = self.limits.get(self.kind, self.cap)
        self.scanner = PolyglotScanner(markup_everywhere=sniffed.family == "image")
        self.head = b""

    def _check_cap(self, received: int) -> None:
        if received > self.cap:
            raise size_refusal(received, self.kind or "video", self.cap, at_least=True)

    def _refuse(self, refusal: MediaRejected) -> None:
        self.refusal = refusal
        with contextlib.suppress(OSError):  # the file is being thrown away anyway
            self._settle()
        if self.file is not None:
            self.file.close()  # removes the temporary file
            self.file = None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        name = self.file_name or "upload"
        if self.refusal is None and self.scanner is None and file_size:
            try:  # a file smaller than HEAD_BYTES: its type is known only now
                head = self.head
                self._learn_type(head)
                self._scan(head)
            except MediaRejected as refusal:
                self._refuse(refusal)
        if self.refusal is None and self.scanner is not None:
            try:
                self.scanner.finish()
            except MediaRejected as refusal:
                self._refuse(refusal)
        self._settle()
        if self.refusal is not None or self.file is None:
            return RefusedUpload(
                name, self.refusal or MediaRejected("The upload was interrupted.", code="truncated")
            )
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.digest.hexdigest()
        self.file.polyglot_checked = self.scanner is not None
        return self.file

    def upload_interrupted(self) -> None:
        with contextlib.suppress(OSError):  # the upload is abandoned anyway
            self._settle()
        if self.file is not None:
            self.file.close()
            self.file = None
