"""Signed media URLs: the token, the streaming view with Range, S3 presigning, can_meta_fetch."""

import ipaddress
import re
import socket

import pytest
import requests
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from creatives.library.media_urls import (
    FetchabilityVerdict,
    InvalidMediaToken,
    can_meta_fetch,
    read_media_token,
    sign_media_token,
    signed_media_url,
)
from prosocial.safe_http import SafeFetchError, UnsafeURLError, fetch, is_public_address

BASE = "https://app.example.com"
DATA = bytes(range(256)) * 40  # 10240 bytes
SIZE = len(DATA)
NAME = "workspaces/7/originals/clip.mp4"


@pytest.fixture
def media_file(settings, tmp_path):
    """A 10 KiB file in filesystem storage under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_USES_S3 = False
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.PUBLIC_BASE_URL = BASE
    settings.MEDIA_SIGNED_URL_TTL_SECONDS = 3600
    assert default_storage.save(NAME, ContentFile(DATA)) == NAME
    return NAME


def path_of(url: str) -> str:
    assert url.startswith(BASE + "/media/s/")
    return url.removeprefix(BASE)


def url_for(name=NAME, filename="clip.mp4", content_type="video/mp4", ttl_seconds=None):
    return path_of(
        signed_media_url(
            storage_name=name,
            content_type=content_type,
            filename=filename,
            ttl_seconds=ttl_seconds,
        )
    )


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def max_age(response) -> int:
    match = re.fullmatch(r"private, max-age=(\d+)", response["Cache-Control"])
    assert match, response["Cache-Control"]
    return int(match.group(1))


# --- Tokens -----------------------------------------------------------------------------------


def test_token_is_compact_and_url_safe():
    token = sign_media_token(
        storage_name=NAME, content_type="video/mp4", filename="clip.mp4", ttl_seconds=60
    )

    assert re.fullmatch(r"[A-Za-z0-9_\-.:]+", token)
    assert len(token) < 160
    assert read_media_token(token).storage_name == NAME


def test_token_expires_at_its_deadline():
    token = sign_media_token(
        storage_name=NAME, content_type="video/mp4", filename="a", ttl_seconds=60
    )
    expires_at = read_media_token(token).expires_at

    assert read_media_token(token, now=expires_at - 1).remaining_seconds(expires_at - 1) == 1
    with pytest.raises(InvalidMediaToken, match="expired"):
        read_media_token(token, now=expires_at)


def test_token_signed_with_another_salt_is_invalid():
    foreign = signing.TimestampSigner().sign_object(
        {"p": NAME, "t": "video/mp4", "f": "a", "e": 2**40}
    )

    with pytest.raises(InvalidMediaToken, match="invalid"):
        read_media_token(foreign)


def test_negative_ttl_is_refused():
    with pytest.raises(ValueError, match="ttl_seconds"):
        sign_media_token(storage_name=NAME, content_type="video/mp4", filename="a", ttl_seconds=-1)


# --- The view: whole file ---------------------------------------------------------------------


def test_get_streams_the_whole_file_with_headers(media_file, client):
    response = client.get(url_for())

    assert response.status_code == 200
    assert body(response) == DATA
    assert response["Content-Type"] == "video/mp4"
    assert response["Content-Length"] == str(SIZE)
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Disposition"] == (
        "inline; filename=\"clip.mp4\"; filename*=UTF-8''clip.mp4"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 3598 <= max_age(response) <= 3600
    assert "Content-Range" not in response


def test_works_without_cookies_and_sets_none(media_file):
    client = Client()  # a fetcher with no session, like Meta's

    response = client.get(url_for())

    assert response.status_code == 200
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")
    assert client.cookies == {}


def test_non_ascii_filename_is_encoded(media_file, client):
    response = client.get(url_for(filename='Affiche "été"\r\n.mp4'))

    assert response["Content-Disposition"] == (
        'inline; filename="Affiche _ete___.mp4"; '
        "filename*=UTF-8''Affiche%20%22%C3%A9t%C3%A9%22%0D%0A.mp4"
    )


def test_head_answers_headers_without_body(media_file, client):
    response = client.head(url_for())

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"


def test_head_with_range_answers_the_range_headers(media_file, client):
    response = client.head(url_for(), headers={"Range": "bytes=0-99"})

    assert response.status_code == 206
    assert response.content == b""
    assert response["Content-Length"] == "100"
    assert response["Content-Range"] == f"bytes 0-99/{SIZE}"


# --- The view: ranges -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [
        pytest.param("bytes=0-99", 0, 99, id="first-bytes"),
        pytest.param("bytes=0-0", 0, 0, id="one-byte"),
        pytest.param("bytes=100-4199", 100, 4199, id="middle"),
        pytest.param("bytes=-100", SIZE - 100, SIZE - 1, id="suffix"),
        pytest.param("bytes=-99999", 0, SIZE - 1, id="suffix-longer-than-file"),
        pytest.param("bytes=10000-", 10000, SIZE - 1, id="open-ended"),
        pytest.param("bytes=10200-99999", 10200, SIZE - 1, id="end-past-the-end"),
        pytest.param(f"bytes={SIZE - 1}-{SIZE - 1}", SIZE - 1, SIZE - 1, id="last-byte"),
    ],
)
def test_range_returns_206_with_that_slice(media_file, client, range_header, first, last):
    response = client.get(url_for(), headers={"Range": range_header})

    assert response.status_code == 206
    assert body(response) == DATA[first : last + 1]
    assert response["Content-Length"] == str(last - first + 1)
    assert response["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    "range_header",
    [
        pytest.param(f"bytes={SIZE}-", id="starts-at-end"),
        pytest.param("bytes=20000-20100", id="past-the-end"),
        pytest.param("bytes=-0", id="empty-suffix"),
    ],
)
def test_unsatisfiable_range_is_416(media_file, client, range_header):
    response = client.get(url_for(), headers={"Range": range_header})

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert response.content == b"Requested range not satisfiable."


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Range": "bytes=0-1,5-6"}, id="multiple-ranges"),
        pytest.param({"Range": "bytes=abc"}, id="malformed"),
        pytest.param({"Range": "bytes=50-10"}, id="backwards"),
        pytest.param({"Range": "items=0-5"}, id="other-unit"),
        pytest.param({"Range": "bytes=0-99", "If-Range": '"v1"'}, id="if-range"),
    ],
)
def test_ranges_we_do_not_serve_get_the_whole_file(media_file, client, headers):
    response = client.get(url_for(), headers=headers)

    assert response.status_code == 200
    assert body(response) == DATA
    assert "Content-Range" not in response


def test_empty_file_serves_empty_and_refuses_ranges(media_file, client):
    default_storage.save("empty.bin", ContentFile(b""))
    path = url_for(name="empty.bin", content_type="application/octet-stream")

    whole = client.get(path)
    ranged = client.get(path, headers={"Range": "bytes=0-"})

    assert (whole.status_code, body(whole), whole["Content-Length"]) == (200, b"", "0")
    assert (ranged.status_code, ranged["Content-Range"]) == (416, "bytes */0")


# --- The view: refusals -----------------------------------------------------------------------


def test_tampered_token_is_403(media_file, client):
    path = url_for()
    payload, rest = path.removeprefix("/media/s/").split(":", 1)
    forged = sign_media_token(
        storage_name="workspaces/8/secret.mp4",
        content_type="video/mp4",
        filename="x",
        ttl_seconds=60,
    ).split(":", 1)[0]

    response = client.get(f"/media/s/{forged}:{rest}")

    assert payload != forged
    assert response.status_code == 403
    assert response.content == b"This media link is not valid."
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_expired_token_is_403(media_file, client):
    response = client.get(url_for(ttl_seconds=0))

    assert response.status_code == 403
    assert response.content == b"This media link has expired. Ask for a new link."


def test_post_is_405_even_with_csrf_checks(media_file):
    client = Client(enforce_csrf_checks=True)

    response = client.post(url_for())

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_missing_file_is_404(media_file, client):
    response = client.get(url_for(name="workspaces/7/originals/deleted.mp4"))

    assert response.status_code == 404
    assert response.content == b"This media file no longer exists."


# --- S3 ---------------------------------------------------------------------------------------


def test_with_s3_the_url_is_a_presigned_get_that_downloads(s3, settings):
    settings.MEDIA_SIGNED_URL_TTL_SECONDS = 900
    default_storage.save(NAME, ContentFile(DATA))

    url = signed_media_url(storage_name=NAME, content_type="video/mp4", filename="clip.mp4")
    whole = requests.get(url, timeout=10)
    ranged = requests.get(url, headers={"Range": "bytes=-100"}, timeout=10)

    assert url.startswith(f"{s3.endpoint_url}/{s3.bucket}/{NAME}?")
    assert "X-Amz-Expires=900" in url
    assert (whole.status_code, whole.content) == (200, DATA)
    assert whole.headers["Content-Type"] == "video/mp4"
    assert (ranged.status_code, ranged.content) == (206, DATA[-100:])


# --- Can Meta fetch this? ---------------------------------------------------------------------

HTTPS_ONLY = "{base} uses http; Meta only downloads media over https."


@pytest.mark.parametrize(
    ("base", "problems"),
    [
        pytest.param(
            "http://127.0.0.1:8000",
            [
                HTTPS_ONLY.format(base="http://127.0.0.1:8000"),
                "127.0.0.1 is a loopback address (this server).",
            ],
            id="dev-default",
        ),
        pytest.param(
            "http://localhost",
            [
                HTTPS_ONLY.format(base="http://localhost"),
                "localhost is a local-only name that public DNS never resolves.",
            ],
            id="localhost",
        ),
        pytest.param(
            "https://10.0.0.5",
            ["10.0.0.5 is a private address."],
            id="rfc1918",
        ),
        pytest.param(
            "https://192.168.1.2",
            ["192.168.1.2 is a private address."],
            id="home-lan",
        ),
        pytest.param(
            "https://[::ffff:127.0.0.1]",
            ["::ffff:127.0.0.1 is a loopback address (this server)."],
            id="ipv4-mapped-loopback",
        ),
        pytest.param(
            "https://[64:ff9b::a00:5]",
            ["64:ff9b::a00:5 is a private address."],
            id="nat64-private",
        ),
        pytest.param(
            "https://169.254.169.254",
            ["169.254.169.254 is a link-local address."],
            id="metadata-service",
        ),
        pytest.param(
            "https://100.64.1.1",
            ["100.64.1.1 is a private address."],
            id="cgnat",
        ),
        pytest.param(
            "https://[fd12:3456::1]",
            ["fd12:3456::1 is a private address."],
            id="unique-local",
        ),
        pytest.param(
            "https://[::1]:8443",
            ["::1 is a loopback address (this server)."],
            id="ipv6-loopback",
        ),
        pytest.param(
            "https://0.0.0.0",
            ["0.0.0.0 is an unspecified address."],
            id="unspecified",
        ),
        pytest.param(
            "https://minio:9000",
            ["minio is a bare host name that only resolves inside your network."],
            id="compose-service-name",
        ),
        pytest.param(
            "https://media.internal",
            ["media.internal is a local-only name that public DNS never resolves."],
            id="internal-tld",
        ),
        # TEST-NET-3 (RFC 5737) is never routed, so Meta could not reach it either.
        pytest.param(
            "https://203.0.113.10",
            ["203.0.113.10 is a reserved address."],
            id="test-net",
        ),
        pytest.param(
            "ftp://8.8.8.8",
            ["ftp://8.8.8.8 uses ftp; Meta only downloads media over https."],
            id="ftp",
        ),
        pytest.param(
            "8.8.8.8",
            [
                "8.8.8.8 uses no scheme; Meta only downloads media over https.",
                "8.8.8.8 has no host name.",
            ],
            id="no-scheme",
        ),
    ],
)
def test_unreachable_bases_are_not_ok(base, problems):
    verdict = can_meta_fetch(base)

    assert verdict == FetchabilityVerdict(
        ok=False,
        problems=problems,
        fix=(
            f"Meta's servers can't download from {base} — set PUBLIC_BASE_URL to a public https "
            "address (or AWS_S3_ENDPOINT_URL to a public bucket endpoint). Until then, "
            "publishing uploads Facebook photos and videos, Instagram videos and ad videos "
            "to Meta directly instead of giving Meta a URL (slower; videos use resumable upload); "
            "Instagram takes images only by URL, so Instagram posts with an image can't be "
            "published."
        ),
    )


@pytest.mark.parametrize(
    "base", ["https://8.8.8.8", "https://8.8.8.8:8443/", "https://[2001:4860:4860::8888]"]
)
def test_public_https_bases_are_ok(base):
    assert can_meta_fetch(base) == FetchabilityVerdict(ok=True, problems=[], fix="")


def test_default_judges_public_base_url(settings):
    settings.MEDIA_USES_S3 = False
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"

    verdict = can_meta_fetch()

    assert verdict.ok is False
    assert verdict.fix.startswith(
        "Meta's servers can't download from http://127.0.0.1:8000 — set PUBLIC_BASE_URL to a "
        "public https address (or AWS_S3_ENDPOINT_URL to a public bucket endpoint)."
    )


def test_default_judges_the_s3_endpoint_when_s3_is_used(s3, settings):
    settings.PUBLIC_BASE_URL = "https://8.8.8.8"  # would be fine, but S3 URLs are what Meta gets

    verdict = can_meta_fetch()

    assert verdict.ok is False
    assert (
        verdict.problems[0] == f"{s3.endpoint_url} uses http; Meta only downloads media over https."
    )


def test_aws_own_endpoint_is_ok_without_a_lookup(s3, settings):
    settings.AWS_S3_ENDPOINT_URL = None

    assert can_meta_fetch() == FetchabilityVerdict(ok=True, problems=[], fix="")


def test_resolved_addresses_are_judged_by_the_fetchers_policy(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        assert host == "media.example.org"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ("93.184.216.34", "10.0.0.5")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    verdict = can_meta_fetch("https://media.example.org")

    assert verdict.problems == ["media.example.org resolves to 10.0.0.5, a private address."]


# --- One address policy: the URL signer refuses exactly what the fetcher refuses -------------

# Each special-purpose range, the four the signer's old copy of the policy let through
# (192.0.0.9, IPv4-compatible ::a.b.c.d, site-local fec0::/10), and public neighbours.
ADDRESS_CORPUS = [
    ("0.0.0.0", True),  # noqa: S104 - an address to judge, not to bind
    ("10.1.2.3", True),
    ("100.64.0.1", True),
    ("127.0.0.1", True),
    ("169.254.169.254", True),
    ("172.16.0.1", True),
    ("192.0.0.9", True),
    ("192.0.2.1", True),
    ("192.168.1.1", True),
    ("198.18.0.1", True),
    ("198.51.100.1", True),
    ("203.0.113.1", True),
    ("224.0.0.1", True),
    ("240.0.0.1", True),
    ("255.255.255.255", True),
    ("::", True),
    ("::1", True),
    ("::ffff:127.0.0.1", True),
    ("::8.8.8.8", True),
    ("::127.0.0.1", True),
    ("64:ff9b::7f00:1", True),
    ("64:ff9b:1::808:808", True),
    ("100::1", True),
    ("2001::1", True),
    ("2001:db8::1", True),
    ("2002:808:808::1", True),
    ("fc00::1", True),
    ("fd12:3456::1", True),
    ("fe80::1", True),
    ("fec0::1", True),
    ("ff02::1", True),
    ("8.8.8.8", False),
    ("93.184.216.34", False),
    ("192.31.196.1", False),
    ("::ffff:8.8.8.8", False),
    ("64:ff9b::808:808", False),
    ("2001:4860:4860::8888", False),
    ("2606:4700:4700::1111", False),
]


def _host(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    return f"[{address}]" if address.version == 6 else str(address)


def _fetcher_refuses(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Ask the real fetcher with no time left: it judges the address, then times out before
    connecting, so nothing leaves this machine."""
    try:
        fetch(f"https://{_host(address)}/", allowed_hosts=[], timeout=0)
    except UnsafeURLError:
        return True
    except SafeFetchError:
        return False
    raise AssertionError("a fetch with no time left cannot succeed")


def _signer_refuses(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not can_meta_fetch(f"https://{_host(address)}").ok


@pytest.mark.parametrize(("address", "refused"), ADDRESS_CORPUS, ids=[a for a, _ in ADDRESS_CORPUS])
def test_signer_refuses_exactly_what_the_fetcher_refuses(address, refused):
    ip = ipaddress.ip_address(address)

    assert (_fetcher_refuses(ip), _signer_refuses(ip)) == (refused, refused)


@given(st.ip_addresses())
def test_signer_and_fetcher_agree_on_every_address(address):
    assert _signer_refuses(address) is _fetcher_refuses(address) is not is_public_address(address)
