"""Every setting is checked when it is loaded, so a mistake is one line naming the
variable before the database starts, not a traceback or a 500 later."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from survey.config import ConfigError, Settings, load_settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SURVEY_DEFAULT_LOCALE": "xx"},
         "SURVEY_DEFAULT_LOCALE must be one of en, es, zh_Hans, zh_Hant, vi, tl, ru, ko, so, "
         "am, uk, pa, km, ar, not 'xx'"),
        ({"SURVEY_POOL_MIN_SIZE": "20"},
         "SURVEY_POOL_MIN_SIZE (20) must not be more than SURVEY_POOL_MAX_SIZE (10)"),
        ({"SURVEY_POOL_MAX_SIZE": "0"},
         "SURVEY_POOL_MAX_SIZE must be a whole number >= 1, not '0'"),
        ({"SURVEY_POOL_MIN_SIZE": "-1"},
         "SURVEY_POOL_MIN_SIZE must be a whole number >= 0, not '-1'"),
        ({"SURVEY_STATEMENT_TIMEOUT_MS": "-1"},
         "SURVEY_STATEMENT_TIMEOUT_MS must be a whole number >= 1, not '-1'"),
        ({"SURVEY_ACQUIRE_TIMEOUT_MS": "0"},
         "SURVEY_ACQUIRE_TIMEOUT_MS must be a whole number >= 100, not '0'"),
        ({"SURVEY_LOG_LEVEL": "verbose"},
         "SURVEY_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'verbose'"),
        ({"SURVEY_SMS_REMINDER_HOURS": "24h"},
         "SURVEY_SMS_REMINDER_HOURS must be hours above 0, comma-separated (24,72), "
         "or empty for none, not '24h'"),
        ({"SURVEY_SMS_REMINDER_HOURS": "24,-1"},
         "SURVEY_SMS_REMINDER_HOURS must be hours above 0, comma-separated (24,72), "
         "or empty for none, not '24,-1'"),
        ({"SURVEY_SMS_SEGMENTS_PER_SECOND": "0"},
         "SURVEY_SMS_SEGMENTS_PER_SECOND must be a number > 0.0, not '0'"),
        ({"SURVEY_PUBLIC_BASE_URL": "example.org"},
         "SURVEY_PUBLIC_BASE_URL must be an http:// or https:// URL "
         "(https://survey.example.org), not 'example.org'"),
        ({"SURVEY_TWILIO_API_BASE": "api.twilio.com"},
         "SURVEY_TWILIO_API_BASE must be an http:// or https:// URL "
         "(https://survey.example.org), not 'api.twilio.com'"),
        ({"SURVEY_LOGIN_FAILURE_LIMIT": "-1"},
         "SURVEY_LOGIN_FAILURE_LIMIT must be a whole number >= 1, not '-1'"),
        ({"SURVEY_OPEN_LINK_RATE_PER_MINUTE": "0"},
         "SURVEY_OPEN_LINK_RATE_PER_MINUTE must be a whole number >= 1, not '0'"),
        ({"SURVEY_MAX_BODY_BYTES": "0"},
         "SURVEY_MAX_BODY_BYTES must be a whole number >= 1, not '0'"),
        ({"SURVEY_WARM_INTERVAL": "-5"},
         "SURVEY_WARM_INTERVAL must be a number >= 0.0, not '-5'"),
        ({"SURVEY_SMS_DEFAULT_TIMEZONE": "Mars/Base"},
         "SURVEY_SMS_DEFAULT_TIMEZONE must be an IANA time zone (America/Los_Angeles), "
         "not 'Mars/Base'"),
    ],
)
def test_a_bad_setting_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert str(caught.value) == message


def test_good_settings_pass() -> None:
    settings = load_settings({
        "SURVEY_DEFAULT_LOCALE": "zh_Hant", "SURVEY_LOG_LEVEL": "debug",
        "SURVEY_SMS_REMINDER_HOURS": " 12, 36.5 ", "SURVEY_POOL_MIN_SIZE": "10",
        "SURVEY_PUBLIC_BASE_URL": "https://survey.example.org/king",
        "SURVEY_SMS_DEFAULT_TIMEZONE": "America/New_York", "SURVEY_WARM_INTERVAL": "0",
    })
    assert settings.default_locale == "zh_Hant" and settings.pool_min_size == 10
    assert load_settings({"SURVEY_SMS_REMINDER_HOURS": ""}).sms_reminder_hours == "24,72"


def test_an_option_wins_over_a_variable_that_does_not_convert() -> None:
    assert load_settings({"SURVEY_PORT": "abc"}, port=8799).port == 8799


def test_the_app_refuses_settings_built_by_hand() -> None:
    from survey.app import create_app

    with pytest.raises(ConfigError, match="SURVEY_DEFAULT_LOCALE"):
        create_app(Settings(default_locale="xx", database_url="postgresql://localhost/unused"))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No SURVEY_* from outside, and a database that does not exist: a command that got
    as far as connecting says "cannot connect" instead of naming the setting."""
    for name in list(os.environ):
        if name.startswith("SURVEY_"):
            monkeypatch.delenv(name)
    # Set (and so restored afterwards) because `survey serve` exports them for workers.
    for name in ("HOST", "PORT", "WORKERS", "PUBLIC_BASE_URL", "SECRET_KEY"):
        monkeypatch.setenv(f"SURVEY_{name}", "")
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"postgresql://x@/x?host={tmp_path}/none")
    return monkeypatch


@pytest.mark.parametrize(
    ("args", "name", "value"),
    [
        (["serve"], "SURVEY_DEFAULT_LOCALE", "xx"),
        (["serve"], "SURVEY_POOL_MIN_SIZE", "20"),
        (["serve"], "SURVEY_POOL_MAX_SIZE", "0"),
        (["serve"], "SURVEY_STATEMENT_TIMEOUT_MS", "-1"),
        (["serve"], "SURVEY_LOG_LEVEL", "verbose"),
        (["serve"], "SURVEY_PUBLIC_BASE_URL", "example.org"),
        (["serve"], "SURVEY_LOGIN_FAILURE_LIMIT", "-1"),
        (["sms", "worker", "--once"], "SURVEY_SMS_REMINDER_HOURS", "24h"),
        (["sms", "worker", "--once"], "SURVEY_SMS_SEGMENTS_PER_SECOND", "0"),
    ],
)
def test_commands_refuse_before_the_database_starts(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    args: list[str], name: str, value: str,
) -> None:
    from survey.cli import main

    clean_env.setenv(name, value)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"survey: error: {name} ") and err.count("\n") == 1, err


def test_serve_port_option_wins_over_a_bad_variable(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    from survey.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clean_env.setenv("SURVEY_PORT", "abc")
    assert main(["serve", "--port", str(port)]) == 1
    # It got as far as the database, and the workers would read the port given.
    assert "cannot connect to the database" in capsys.readouterr().err
    assert os.environ["SURVEY_PORT"] == str(port)
