"""What each ``IHANOI_*`` setting means, in a line: the reference ``ihanoi --help`` prints.

The variables and their defaults come from the ``Settings`` dataclass itself,
so a new setting appears in the help with its default the moment it is added;
a unit test fails until its meaning is written here too. The longer story of
each setting is ``docs/configuration.md``.
"""

from __future__ import annotations

import textwrap
from dataclasses import MISSING, fields

from ihanoi_core.settings import Settings

MEANINGS: dict[str, str] = {
    "notify_smtp_url": "where e-mail notices go: smtp://user:password@host:587 (STARTTLS when offered) or "
    "smtps://host:465; unset: e-mail notices wait in the outbox",
    "notify_mail_from": "the From: of e-mail notices",
    "notify_gateway_url": "the HTTP gateway for SMS brandname and Zalo ZNS notices (POST {url}/messages); "
    "unset: those notices wait in the outbox",
    "notify_gateway_token": "the bearer token the gateway expects",
    "notify_gateway_templates": "the gateway's template id per notice kind: kind=id, comma-separated",
    "notify_vapid_private_key": "the VAPID private key Web Push notices are signed with (base64url of the raw "
    "P-256 key, from `ihanoi notifications vapid-keys`); unset: Web Push notices wait in the outbox",
    "notify_vapid_subject": "the contact (mailto: or https: URL) in the VAPID JWT, for push services to reach "
    "the operator",
    "notify_max_attempts": "delivery attempts before a notice is dead-lettered",
    "notify_backoff_seconds": "the first retry's delay; each next one doubles, with up to 50 % jitter",
    "notify_rate_per_second": "notices the dispatcher sends per second on each channel, at most",
    "notify_lease_seconds": "how long a claimed notice is the dispatcher's before another may claim it",
    "notify_batch_size": "notices the dispatcher claims at a time",
    "deadline_poll_seconds": "the longest the deadline watcher sleeps between rounds (it wakes at the next threshold)",
    "deadline_batch_size": "running clocks the deadline watcher reads per pass",
    "public_url": "the server's public address (https://…) that notices' links start with; unset: links are paths",
    "answer_generator_url": "an OpenAI-compatible chat-completions URL that may rephrase the Q&A switchboard's "
    "answers (keeping every citation); unset: answers are extractive",
    "answer_generator_model": "the model name sent to the answer generator",
    "answer_generator_timeout": "seconds the switchboard waits for the answer generator before answering extractively",
    "zalo_app_id": "the Zalo app id, the first part of the X-ZEvent-Signature hash (docs/channels.md)",
    "zalo_oa_secret_key": "the Official Account's secret key (not the app secret): the last part of the "
    "X-ZEvent-Signature hash; unset: POST /webhooks/zalo answers 404",
    "zalo_access_token": "the OA access token replies are sent with; unset: zalo_oa replies wait in the outbox",
    "zalo_api_url": "the Zalo OA API (replies: POST {url}/v3.0/oa/message/cs)",
    "zalo_refresh_token": "the OA refresh token that renews IHANOI_ZALO_ACCESS_TOKEN when Zalo answers it expired "
    "(single use: each renewal's new pair is kept in the view database, zalo_oa_tokens)",
    "zalo_app_secret": "the Zalo app's secret key, sent as secret_key when the access token is renewed",
    "zalo_oauth_url": "Zalo's OAuth server (renewal: POST {url}/v4/oa/access_token)",
    "zalo_window_seconds": "how far a Zalo event's or a Messenger message's timestamp may be from now (seconds) "
    "before it is refused as stale",
    "messenger_app_secret": "the Facebook app secret of X-Hub-Signature-256; unset: /webhooks/messenger answers 404",
    "messenger_verify_token": "the token Meta echoes in the webhook subscription handshake (hub.verify_token)",
    "messenger_page_token": "the page access token replies are sent with; unset: messenger replies wait in the outbox",
    "messenger_api_url": "the Graph API replies go to (POST {url}/me/messages)",
    "hotline_secret": "the HMAC key of the call centre's X-Hotline-Signature; unset: /webhooks/hotline answers 404",
    "hotline_window_seconds": "how far X-Hotline-Timestamp may be from now (seconds) before a delivery is stale",
    "channel_photo_timeout_seconds": "seconds the chat flow waits to fetch a photo from Zalo's or Meta's CDN when "
    "it files a report (in the dispatcher, after the webhook answered); past it the report is filed without the photo",
    "database_url": "the event store: sqlite:///path/to/file.db, postgresql://user:password@host:port/db "
    "(postgres:// too; ?schema=name), or memory://",
    "env": "production, development or test; only development and test may run without IHANOI_SECRET_KEY",
    "secret_key": "signs bearer tokens (HS256) and keys the read models' pseudonyms",
    "open311_api_keys": "comma-separated API keys of Open311 partner apps",
    "jurisdiction": "the Open311 jurisdiction_id this server answers for",
    "directory": "path to the directory TOML (wards, agencies, categories, deadlines, calendar)",
    "cipher_key": "when set, events are encrypted at rest (AES-GCM; base64 key of 16, 24 or 32 bytes)",
    "audit_key": "Ed25519 private key (base64) that signs audit checkpoints",
    "pii_master_key": "wraps the per-person keys that seal personal fields (base64, 32 bytes; comma-separated, "
    "current first, while rotating); required unless IHANOI_ENV=development or test",
    "map_tile_url": "the public map's basemap tiles, a URL template with {z}, {x}, {y}; set empty for no basemap "
    "(markers and filters still work); the page may load images only from this host and the server",
    "map_tile_attribution": "the basemap's attribution line shown on the map (plain text)",
    "log_level": "DEBUG, INFO, WARNING or ERROR; logs are JSON lines on stderr",
    "sqlite_synchronous": "SQLite durability: NORMAL survives a process crash, FULL also a power cut (slower)",
    "in_process_projections": "apply: the server applies the read models whose worker lock it gets; "
    "follow: it leaves them all to `ihanoi projections run` workers",
    "token_max_ttl": "the longest lifetime in seconds a bearer token may have (its exp beyond that is refused)",
    "forwarded_allow_ips": "comma-separated addresses or networks of the reverse proxies whose X-Forwarded-For "
    "and X-Forwarded-Proto are believed (* for any)",
    "session_cookie_name": "the browser session cookie's name (sent as __Host-<name> when Secure)",
    "session_cookie_secure": "true or false: whether the session cookie is Secure (HTTPS only); false is refused "
    "in production and meant for plain-http development",
    "session_max_age": "the longest a browser session lasts, in seconds; never beyond the token that opened it",
    "stream_ticket_ttl": "seconds a single-use stream ticket may wait before it opens a stream (1 to 300)",
    "sqlite_wal_limit_mb": "the size in MB each SQLite write-ahead log is kept under (checkpoints truncate it)",
    "postgres_pool_size": "PostgreSQL connections the application keeps (and as many overflow)",
    "postgres_connect_timeout": "seconds a command or query waits for a PostgreSQL connection before it is "
    "refused with 503 store_unreachable",
    "projection_poll_interval": "seconds between looks at the log when nothing woke a projection",
    "projection_batch_size": "events a projection applies per transaction",
    "public_stats_min_count": "the fewest reports a group of /public/stats needs to be shown; smaller groups "
    "(and enough others that totals cannot give them away) are suppressed; also the fewest cases an agency "
    "must finish in a month to be ranked in /public/ranking",
    "oidc_issuer": "the identity provider's issuer (its tokens' iss); with IHANOI_OIDC_AUDIENCE and "
    "IHANOI_OIDC_JWKS_URL, tokens it signs are accepted",
    "oidc_audience": "the audience (aud) the identity provider's tokens must name: this server's client id",
    "oidc_jwks_url": "where the identity provider publishes its signing keys (JWKS); https:// in production",
    "oidc_algorithms": "comma-separated public-key algorithms accepted from the identity provider",
    "oidc_role_claim": "the claim holding the role (a string or a list; a dotted path reaches into objects, "
    "e.g. realm_access.roles)",
    "oidc_agency_claim": "the claim holding a staff member's agency code (a dotted path too)",
    "oidc_organisation_claim": "the claim holding the tax code of the business a business-role person acts for",
    "oidc_organisation_kind_claim": "the claim holding that business's kind (enterprise or household; optional)",
    "oidc_role_map": "comma-separated idp-value=role pairs mapping role-claim values to citizen, officer, leader, "
    "auditor, admin or partner; without it the values must be those names",
    "oidc_leeway": "seconds of clock skew allowed on the identity provider's exp, nbf and iat",
    "oidc_max_token_age": "the oldest an identity provider's token may be, in seconds since its iat",
    "oidc_jwks_max_age": "seconds the identity provider's key set is used before it is fetched again "
    "(kept while a fetch fails)",
    "oidc_jwks_refetch_interval": "the fewest seconds between two fetches of the key set (an unknown key id "
    "fetches it at most this often)",
    "oidc_jwks_timeout": "seconds a fetch of the key set may take",
    "oidc_allow_hs256": "true or false: whether tokens signed with IHANOI_SECRET_KEY are still accepted when "
    "IHANOI_OIDC_ISSUER is set",
    "media_dir": "the directory photos are kept in, by their sha256 (shared by every server of a deployment)",
    "media_max_bytes": "the largest photo upload accepted, in bytes (a larger one is 413 and never read whole)",
    "media_max_pixels": "the most pixels an uploaded image may have (width × height): larger ones, such as "
    "decompression bombs, are refused before decoding",
    "media_max_per_report": "the most photos one report may carry",
    "payments_bank_bin": "the NAPAS BIN of the bank fees are paid into; with IHANOI_PAYMENTS_ACCOUNT it turns "
    "on VietQR payment requests",
    "payments_account": "the account number fees are paid into",
    "payments_account_name": "the account holder's name shown beside the VietQR code",
    "payments_providers": "provider=secret pairs: the gateways whose signed callbacks are accepted and their "
    "HMAC-SHA256 secrets",
    "payments_timestamp_window": "seconds a callback's timestamp may differ from our clock (older replays are refused)",
    "payments_expiry_hours": "hours a payment request may be paid before `ihanoi payments expire` closes it",
}

WIDTH = 79

# Defaults a value cannot say by itself.
DEFAULT_WORDS: dict[str, str] = {
    "secret_key": "required unless IHANOI_ENV=development",
    "pii_master_key": "required unless IHANOI_ENV=development",
    "directory": "the packaged Hanoi sample",
    "media_dir": "beside the SQLite file (<name>-media/), else ./ihanoi-media",
    "open311_api_keys": "none",
    "oidc_algorithms": "RS256,ES256",
    "oidc_role_map": "none (role values are our role names)",
    "oidc_allow_hs256": "false in production, true in development and test",
    "session_cookie_secure": "true, except in development",
    "payments_providers": "none",
}


def environment_variable(field_name: str) -> str:
    """``database_url`` → ``IHANOI_DATABASE_URL``: the name ``Settings.from_env`` reads."""
    return f"IHANOI_{field_name.upper()}"


def settings_reference() -> list[tuple[str, str, str]]:
    """``(variable, default, meaning)`` for every field of ``Settings``, in order."""
    rows = []
    for field in fields(Settings):
        if field.name in DEFAULT_WORDS:
            default = DEFAULT_WORDS[field.name]
        elif field.default is MISSING or field.default is None:
            default = "unset"
        else:
            default = str(field.default)
        rows.append((environment_variable(field.name), default, MEANINGS.get(field.name, "")))
    return rows


def settings_epilog() -> str:
    """The settings part of ``ihanoi --help``: each variable with its default, then its meaning."""
    lines = ["settings (environment variables, also read from ./.env; see docs/configuration.md):"]
    for variable, default, meaning in settings_reference():
        lines.append(f"  {variable:<32} default: {default}")
        lines.extend(textwrap.wrap(meaning, width=WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6))
    return "\n".join(lines)
