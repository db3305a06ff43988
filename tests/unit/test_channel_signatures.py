"""The webhook signatures of the channels, against fixed vectors.

Zalo OA (X-ZEvent-Signature): "mac=" + hex SHA-256 of app id + raw body +
the body's ``timestamp`` + the OA secret key, as Zalo's webhook guide
describes it (cited in ``ihanoi_core/channels/signatures.py``: developers.zalo.me,
Official Account API → Webhook; restated at hainh.me/zalo-api-php-webhook-
callback-official-account.html). The vector was computed independently with
``printf '%s' '<app id><body><timestamp><secret>' | sha256sum``. Messenger
(X-Hub-Signature-256): "sha256=" + HMAC-SHA256(app secret, raw body), per
Meta's "Validate payloads"; its vector with ``openssl dgst -sha256 -hmac``.
"""

from __future__ import annotations

import hashlib
import hmac

from ihanoi_core.channels.signatures import fresh, hotline_signature, hub_signature, matches, zalo_signature

ZALO_BODY = b'{"event_name":"user_send_text","timestamp":"1765000000000"}'
ZALO_VECTOR = "mac=8847e82101c6fe9e417b67ac8005e9b4cd9332897ebdccd2d335f1cae99cc733"
HUB_BODY = b'{"object":"page","entry":[]}'
HUB_VECTOR = "sha256=e6e9d7a842a48e17f43a34d6125d0d933e2aab92ee37f0993a4d493b50e3d438"


def test_the_zalo_signature_is_the_documented_hash_of_app_id_body_timestamp_and_oa_secret() -> None:
    assert zalo_signature("360846524940903967", ZALO_BODY, "1765000000000", "oa-secret") == ZALO_VECTOR


def test_the_schemes_other_implementations_use_do_not_match_the_zalo_vector() -> None:
    # An HMAC keyed with the secret over the body alone (seen in public code) is another value.
    keyed = hmac.new(b"oa-secret", ZALO_BODY, hashlib.sha256).hexdigest()
    assert not matches(ZALO_VECTOR, f"mac={keyed}")
    # Re-serialising the body (a space after the colon) changes the hash: we hash the raw bytes.
    spaced = ZALO_BODY.replace(b'":"', b'": "')
    assert zalo_signature("360846524940903967", spaced, "1765000000000", "oa-secret") != ZALO_VECTOR


def test_the_messenger_signature_is_the_hmac_of_the_raw_body() -> None:
    assert hub_signature("app-secret", HUB_BODY) == HUB_VECTOR
    assert not matches(HUB_VECTOR, hub_signature("another-secret", HUB_BODY))
    assert not matches(HUB_VECTOR, None)


def test_the_hotline_signature_covers_the_timestamp() -> None:
    signed = hotline_signature("hotline-secret", "1765000000", b'{"call_id":"c1"}')
    assert signed == "sha256=946a903988d94b036a7871357d04da7ce5b1e0a668b7775ed2f9f025e09699c3"
    assert signed != hotline_signature("hotline-secret", "1765000001", b'{"call_id":"c1"}')


def test_a_delivery_is_fresh_only_within_the_window() -> None:
    assert fresh(1_000_000, 1_000_000 + 299_000, 300)
    assert not fresh(1_000_000, 1_000_000 + 301_000, 300)
    assert not fresh(1_000_000 + 301_000, 1_000_000, 300)
