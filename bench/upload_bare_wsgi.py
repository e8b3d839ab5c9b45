"""The upload bench's baseline: a bare WSGI app that writes a request's body to a file.

Served by the same gunicorn (one sync worker) as the product in ``bench.upload_memory``, it
reads ``wsgi.input`` in the chunk size the product's upload handler uses and writes every byte
to a new file in ``UPLOAD_BARE_DIR`` (the bench's media folder: the same disk), then answers
201; the bench removes the file after the round, as it deletes the product's asset. No Django, no parsing, no hashing: what the socket, gunicorn and the disk can do here.
"""

import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

CHUNK = int(os.environ.get("UPLOAD_BARE_CHUNK", str(4 * 1024 * 1024)))


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    folder = os.environ["UPLOAD_BARE_DIR"]
    received = 0
    with tempfile.NamedTemporaryFile(dir=folder, prefix="bare-", delete=False) as out:
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                break
            out.write(chunk)
            received += len(chunk)
            remaining -= len(chunk)
    body = f'{{"received": {received}}}'.encode()
    start_response("201 Created", [("Content-Type", "application/json")])
    return [body]
