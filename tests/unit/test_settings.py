"""Settings refuse what would be unsafe at start-up, outside development."""

from __future__ import annotations

import base64
import re
from dataclasses import fields
from pathlib import Path

import pytest

from ihanoi_core.errors import ConfigurationError
from ihanoi_core.settings import DEVELOPMENT_SECRET_KEY, Settings

LONG_ENOUGH = "k" * 32


@pytest.mark.parametrize("env", ["production", "test"])
def test_a_secret_key_shorter_than_32_bytes_is_refused_outside_development(env: str) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings(env=env, secret_key="abc")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        Settings.from_env({"IHANOI_ENV": env, "IHANOI_SECRET_KEY": "k" * 31}, dotenv=None)
    assert Settings(env=env, secret_key=LONG_ENOUGH).jwt_secret == LONG_ENOUGH  # type: ignore[arg-type]


def test_development_takes_any_key_and_defaults_to_the_published_one() -> None:
    assert Settings(env="development", secret_key="abc").jwt_secret == "abc"
    assert Settings(env="development").jwt_secret == DEVELOPMENT_SECRET_KEY


def test_the_maximum_token_lifetime_defaults_to_a_day_and_is_read_from_the_environment() -> None:
    assert Settings(env="test").token_max_ttl == 24 * 3600
    assert Settings.from_env({"IHANOI_ENV": "test", "IHANOI_TOKEN_MAX_TTL": "3600"}, dotenv=None).token_max_ttl == 3600
    with pytest.raises(ConfigurationError, match="IHANOI_TOKEN_MAX_TTL"):
        Settings.from_env({"IHANOI_TOKEN_MAX_TTL": "0", "IHANOI_ENV": "test"}, dotenv=None)
    with pytest.raises(ConfigurationError, match="IHANOI_TOKEN_MAX_TTL"):
        Settings.from_env({"IHANOI_TOKEN_MAX_TTL": "a day", "IHANOI_ENV": "test"}, dotenv=None)


IDP = {
    "IHANOI_OIDC_ISSUER": "https://id.hanoi.gov.vn/realms/citizens",
    "IHANOI_OIDC_AUDIENCE": "ihanoi-api",
    "IHANOI_OIDC_JWKS_URL": "https://id.hanoi.gov.vn/realms/citizens/protocol/openid-connect/certs",
}


def from_env(**values: str) -> Settings:
    return Settings.from_env({"IHANOI_ENV": "production", "IHANOI_SECRET_KEY": LONG_ENOUGH, **values}, dotenv=None)


def test_the_identity_provider_is_read_from_the_environment() -> None:
    settings = from_env(
        **IDP,
        IHANOI_OIDC_ALGORITHMS="RS256, PS256",
        IHANOI_OIDC_ROLE_CLAIM="realm_access.roles",
        IHANOI_OIDC_AGENCY_CLAIM="https://hanoi.gov.vn/agency",
        IHANOI_OIDC_ROLE_MAP="hanoi-citizen=citizen, hanoi-officer = officer,",
        IHANOI_OIDC_LEEWAY="30",
        IHANOI_OIDC_MAX_TOKEN_AGE="3600",
        IHANOI_OIDC_JWKS_MAX_AGE="900",
        IHANOI_OIDC_JWKS_REFETCH_INTERVAL="60",
        IHANOI_OIDC_JWKS_TIMEOUT="2.5",
        IHANOI_OIDC_ALLOW_HS256="yes",
    )
    assert (settings.oidc_issuer, settings.oidc_audience) == (IDP["IHANOI_OIDC_ISSUER"], "ihanoi-api")
    assert settings.oidc_algorithms == ("RS256", "PS256")
    assert (settings.oidc_role_claim, settings.oidc_agency_claim) == (
        "realm_access.roles",
        "https://hanoi.gov.vn/agency",
    )
    assert settings.oidc_role_map == (("hanoi-citizen", "citizen"), ("hanoi-officer", "officer"))
    assert (settings.oidc_leeway, settings.oidc_max_token_age) == (30, 3600)
    assert (settings.oidc_jwks_max_age, settings.oidc_jwks_refetch_interval, settings.oidc_jwks_timeout) == (
        900,
        60,
        2.5,
    )
    assert settings.oidc_allow_hs256 is True


@pytest.mark.parametrize("left_out", sorted(IDP))
def test_issuer_audience_and_key_set_url_go_together(left_out: str) -> None:
    with pytest.raises(ConfigurationError, match=f"missing: {left_out}"):
        from_env(**{name: value for name, value in IDP.items() if name != left_out})


def test_the_key_set_is_fetched_over_https_in_production_or_over_loopback() -> None:
    with pytest.raises(ConfigurationError, match="https:// in production"):
        from_env(**{**IDP, "IHANOI_OIDC_JWKS_URL": "http://id.hanoi.gov.vn/certs"})
    assert from_env(**{**IDP, "IHANOI_OIDC_JWKS_URL": "http://127.0.0.1:8080/certs"}).oidc_jwks_url
    with pytest.raises(ConfigurationError, match="https://"):
        from_env(**{**IDP, "IHANOI_OIDC_JWKS_URL": "file:///etc/passwd"})
    assert Settings(env="test", oidc_jwks_url="http://idp:8080/certs", oidc_issuer="i", oidc_audience="a")


@pytest.mark.parametrize("algorithms", ["HS256", "RS256,none", "RS256,HS512", ","])
def test_only_public_key_algorithms_are_accepted_from_the_identity_provider(algorithms: str) -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_OIDC_ALGORITHMS"):
        from_env(**IDP, IHANOI_OIDC_ALGORITHMS=algorithms)


@pytest.mark.parametrize(
    ("role_map", "message"),
    [
        ("robot=system", "system is never taken from a token"),
        ("hanoi-boss=mayor", "each entry must be value=role"),
        ("hanoi-officer", "entries are value=role"),
        ("=officer", "entries are value=role"),
        ("staff=officer, staff=leader", "maps a value twice"),
    ],
)
def test_the_role_map_names_our_roles_other_than_system_once_each(role_map: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        from_env(**IDP, IHANOI_OIDC_ROLE_MAP=role_map)


def test_with_an_identity_provider_hs256_tokens_are_refused_in_production_unless_allowed() -> None:
    assert from_env().hs256_tokens_accepted
    assert not from_env(**IDP).hs256_tokens_accepted
    assert from_env(**IDP, IHANOI_OIDC_ALLOW_HS256="true").hs256_tokens_accepted
    assert Settings(env="test", oidc_issuer="i", oidc_audience="a", oidc_jwks_url="https://i/c").hs256_tokens_accepted
    assert not Settings(
        env="development", oidc_issuer="i", oidc_audience="a", oidc_jwks_url="https://i/c", oidc_allow_hs256=False
    ).hs256_tokens_accepted
    with pytest.raises(ConfigurationError, match="true or false"):
        from_env(**IDP, IHANOI_OIDC_ALLOW_HS256="sometimes")


@pytest.mark.parametrize(
    "name",
    ["OIDC_LEEWAY", "OIDC_MAX_TOKEN_AGE", "OIDC_JWKS_MAX_AGE", "OIDC_JWKS_REFETCH_INTERVAL", "OIDC_JWKS_TIMEOUT"],
)
def test_the_identity_provider_durations_must_be_sensible(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"IHANOI_{name}"):
        from_env(**IDP, **{f"IHANOI_{name}": "-1"})
    with pytest.raises(ConfigurationError, match=f"IHANOI_{name}"):
        from_env(**IDP, **{f"IHANOI_{name}": "soon"})


# -- reading every setting from its variable (settings_env) -----------------------------------

# A value of each kind of setting that differs from every default (text fields
# whose value Settings checks get one it accepts).
SAMPLE_TEXT = {
    "database_url": "postgresql://db.example/ihanoi", "env": "test", "secret_key": "k" * 40,
    "log_level": "debug", "sqlite_synchronous": "full", "in_process_projections": "FOLLOW",
    "oidc_issuer": "https://id.example", "oidc_audience": "ihanoi", "oidc_jwks_url": "https://id.example/jwks",
    "oidc_algorithms": "ES256", "oidc_role_map": "can-bo=officer", "notify_gateway_templates": "case_status=ZNS-1",
    "map_tile_url": "", "pii_master_key": base64.b64encode(b"p" * 32).decode(),
    "cipher_key": base64.b64encode(b"c" * 32).decode(), "notify_mail_from": "Sở TT&TT <thongbao@hanoi.gov.vn>",
    "notify_smtp_url": "smtp://127.0.0.1:2525", "notify_gateway_url": "http://127.0.0.1:9/send",
    "notify_vapid_subject": "mailto:ops@example.vn", "session_cookie_name": "hn_session",
    "answer_generator_url": "http://127.0.0.1:11434/v1",
    "zalo_api_url": "http://127.0.0.1:9/zalo", "messenger_api_url": "http://127.0.0.1:9/graph",
    "zalo_oauth_url": "http://127.0.0.1:9/oauth", "public_url": "https://ihanoi.example.vn",
    "payments_bank_bin": "970436", "payments_account": "0011004123456", "payments_providers": "napas=s3cr=t",
}  # fmt: skip


def sample(name: str, default: object) -> str:
    if name in SAMPLE_TEXT:
        return SAMPLE_TEXT[name]
    if isinstance(default, bool) or (default is None and name.endswith(("_secure", "_hs256"))):
        return "false"
    if isinstance(default, (int, float)):
        return str(default * 2 + 1)
    if isinstance(default, frozenset):
        return "a, b"
    if name == "forwarded_allow_ips":
        return "10.0.0.0/24, 10.0.1.5"
    return f"/srv/ihanoi/{name}" if name in ("directory", "media_dir") else f"x-{name}"


def test_every_setting_is_read_from_its_variable_by_its_type() -> None:
    defaults = Settings(env="test")
    environ = {f"IHANOI_{f.name.upper()}": sample(f.name, getattr(defaults, f.name)) for f in fields(Settings)}
    read = Settings.from_env(environ, dotenv=None)
    changed = [f.name for f in fields(Settings) if getattr(read, f.name) != getattr(defaults, f.name)]
    assert sorted(changed) == sorted(f.name for f in fields(Settings) if f.name != "env")
    assert read.open311_api_keys == frozenset({"a", "b"})
    assert (read.log_level, read.sqlite_synchronous, read.in_process_projections) == ("DEBUG", "FULL", "follow")
    assert read.oidc_role_map == (("can-bo", "officer"),)
    assert read.payments_providers == (("napas", "s3cr=t"),)
    assert read.media_dir == Path("/srv/ihanoi/media_dir")
    assert read.map_tile_url == ""  # set but empty: no basemap


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("IHANOI_POSTGRES_POOL_SIZE", "eight", "IHANOI_POSTGRES_POOL_SIZE must be a number, not 'eight'."),
        ("IHANOI_OIDC_ALLOW_HS256", "maybe", "IHANOI_OIDC_ALLOW_HS256 must be true or false, not 'maybe'."),
        ("IHANOI_NOTIFY_GATEWAY_TEMPLATES", "case_status", "entries are kind=template_id, not 'case_status'."),
    ],
)
def test_a_value_not_of_its_type_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(message)):
        Settings.from_env({"IHANOI_ENV": "test", variable: value}, dotenv=None)


def test_empty_variables_count_as_unset() -> None:
    assert (
        Settings.from_env({"IHANOI_ENV": "test", "IHANOI_POSTGRES_POOL_SIZE": " "}, dotenv=None).postgres_pool_size == 8
    )


@pytest.mark.parametrize("proxies", ["proxy.local", "10.0.0.1/24", "10.0.0.1,", "10.0.0.1, *", "2001:db8::/129"])
def test_the_trusted_proxies_are_addresses_or_networks(proxies: str) -> None:
    # The server would take a malformed entry for a name no proxy has, and believe nobody without a word.
    with pytest.raises(ConfigurationError, match="IHANOI_FORWARDED_ALLOW_IPS"):
        Settings.from_env({"IHANOI_ENV": "test", "IHANOI_FORWARDED_ALLOW_IPS": proxies}, dotenv=None)
    for good in ("*", "10.0.0.1", "10.0.0.0/24, ::1", "2001:db8::/32"):
        assert Settings(env="test", forwarded_allow_ips=good).forwarded_allow_ips == good


@pytest.mark.parametrize(
    "url", ["ihanoi.example.vn", "ftp://ihanoi.example.vn", "https://", "https://ihanoi.example.vn/"]
)
def test_the_public_url_is_an_http_address_without_a_trailing_slash(url: str) -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_PUBLIC_URL"):
        Settings.from_env({"IHANOI_ENV": "test", "IHANOI_PUBLIC_URL": url}, dotenv=None)
    assert Settings.from_env({"IHANOI_ENV": "test", "IHANOI_PUBLIC_URL": "https://ihanoi.example.vn"}, dotenv=None)


# A leeway of none is a choice (clocks in step); every other number of none is not.
ZERO_ALLOWED = {"oidc_leeway"}
NUMBERS = [
    f.name
    for f in fields(Settings)
    if isinstance(getattr(Settings(env="test"), f.name), (int, float))
    and not isinstance(getattr(Settings(env="test"), f.name), bool)
]


@pytest.mark.parametrize("name", NUMBERS)
def test_every_number_below_what_it_can_mean_is_refused_naming_its_variable(name: str) -> None:
    # IHANOI_PROJECTION_BATCH_SIZE=0 used to start a server whose read models applied nothing while /readyz said ready.
    kind = type(getattr(Settings(env="test"), name))
    for value in (-1, 0) if name not in ZERO_ALLOWED else (-1,):
        with pytest.raises(ConfigurationError, match=f"IHANOI_{name.upper()}"):
            Settings(env="test", **{name: kind(value)})


@pytest.mark.parametrize("sender", ["iHanoi <no-reply@ihanoi.local>", "Sở TT <thongbao@hanoi.gov.vn>", "ops@hanoi.vn"])
def test_the_sender_of_e_mail_notices_is_an_address(sender: str) -> None:
    assert Settings(env="test", notify_mail_from=sender).notify_mail_from == sender


@pytest.mark.parametrize("sender", ["no-reply", "iHanoi", "x@", "@hanoi.gov.vn", "<>"])
def test_a_sender_that_is_no_address_is_refused(sender: str) -> None:
    with pytest.raises(ConfigurationError, match="IHANOI_NOTIFY_MAIL_FROM must be an e-mail address"):
        Settings(env="test", notify_mail_from=sender)
