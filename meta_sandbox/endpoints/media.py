"""Placeholder images the sandbox serves itself (profile pictures of seeded IG accounts).

`GET /_sandbox/media/profile/<id>.png` returns a 150x150 PNG in a colour derived from
the id, written with zlib alone so the sandbox needs no imaging library.
"""

import functools
import hashlib
import struct
import zlib

from werkzeug.wrappers import Response

from meta_sandbox.routing import Call, route

SIZE = 150


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.lru_cache(maxsize=64)
def placeholder_png(seed: str) -> bytes:
    """Return a solid-colour PNG whose colour is stable for `seed`."""
    red, green, blue = hashlib.sha256(seed.encode()).digest()[:3]
    row = b"\x00" + bytes((red // 2 + 64, green // 2 + 64, blue // 2 + 64)) * SIZE
    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * SIZE))
        + _chunk(b"IEND", b"")
    )


@route("GET", "/_sandbox/media/profile/{name}", auth="none")
def profile_picture(call: Call) -> Response:
    seed = call.args["name"].removesuffix(".png")
    response = Response(placeholder_png(seed), content_type="image/png")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
