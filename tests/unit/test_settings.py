"""Settings refuse what would be unsafe at start-up, outside development."""

from __future__ import annotations

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
