import pytest
from hypothesis import given
from hypothesis import strategies as st

from privacy.signed_request import SignedRequestError, b64url_encode, parse_signed_request, sign

# GRAPH_NOTES §8.6
VECTORS = [
    (
        "key",
        "Mf_s6nTb38UYqioBmPqu0Ewm9souPZB9I2fIGwV729U.eyJ1c2VyX2lkIjoiMCIsImFsZ29yaXRobSI6IkhNQUMtU0hBMjU2IiwiaXNzdWVkX2F0IjoxNjI0MjQ0MTU2fQ",
        {"user_id": "0", "algorithm": "HMAC-SHA256", "issued_at": 1624244156},
    ),
    (
        "app_secret",
        "V9m-jvVi1h5IO8u7DwhRd0PXRy_0cIMG0abzgvMcIYg.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjEyOTE4NDA0MDAsImlzc3VlZF9hdCI6MTI5MTgzNjgwMCwidXNlcl9pZCI6IjIxODQ3MSJ9",
        {
            "algorithm": "HMAC-SHA256",
            "expires": 1291840400,
            "issued_at": 1291836800,
            "user_id": "218471",
        },
    ),
]


@pytest.mark.parametrize(("secret", "signed", "payload"), VECTORS)
def test_meta_vectors(secret, signed, payload):
    assert parse_signed_request(signed, secret) == payload


@pytest.mark.parametrize(("secret", "signed", "payload"), VECTORS)
def test_vectors_fail_with_another_secret(secret, signed, payload):
    with pytest.raises(SignedRequestError, match="bad signature"):
        parse_signed_request(signed, secret + "x")


@pytest.mark.parametrize(
    ("signed", "reason"),
    [
        ("", "missing"),
        ("nodot", "malformed"),
        (".payloadonly", "malformed"),
        ("sig.", "malformed"),
        ("!!!.eyJ9", "malformed encoding"),
        (f"{b64url_encode(b'x' * 32)}.{b64url_encode(b'not json')}", "malformed payload"),
        (f"{b64url_encode(b'x' * 32)}.{b64url_encode(b'[1, 2]')}", "malformed payload"),
        ("x" * 9000, "oversized"),
    ],
)
def test_malformed_input_is_refused(signed, reason):
    with pytest.raises(SignedRequestError, match=reason):
        parse_signed_request(signed, "secret")


def test_other_algorithm_is_refused_even_when_signed():
    signed = sign({"algorithm": "HMAC-SHA1", "user_id": "1"}, "secret")

    with pytest.raises(SignedRequestError, match="unsupported algorithm"):
        parse_signed_request(signed, "secret")


def test_tampered_payload_is_refused():
    sig, _, _ = sign({"algorithm": "HMAC-SHA256", "user_id": "1"}, "secret").partition(".")
    forged = b64url_encode(b'{"algorithm":"HMAC-SHA256","user_id":"2"}')

    with pytest.raises(SignedRequestError, match="bad signature"):
        parse_signed_request(f"{sig}.{forged}", "secret")


@given(
    user_id=st.text(min_size=1, max_size=40),
    issued_at=st.integers(min_value=0, max_value=2**40),
    secret=st.text(min_size=1, max_size=64),
)
def test_round_trip(user_id, issued_at, secret):
    payload = {"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": user_id}

    assert parse_signed_request(sign(payload, secret), secret) == payload


@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_cleanly(text):
    with pytest.raises(SignedRequestError):
        parse_signed_request(text, "secret")
