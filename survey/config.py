"""Settings: one frozen Struct built from the environment in ``create_app`` or the CLI.

Nothing here is read at import time. Every field maps to an environment variable
``SURVEY_<FIELD>``; the README documents each one (a test keeps them in sync).
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import msgspec

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Runtime configuration of the service."""

    database_url: Annotated[
        str | None,
        _doc("PostgreSQL URL. Unset: an embedded PostgreSQL runs in SURVEY_DATA_DIR."),
    ] = None
    data_dir: Annotated[
        str,
        _doc("Directory for the embedded database and local state (default: the user data dir)."),
    ] = ""
    host: Annotated[str, _doc("Address `survey serve` binds to.")] = "127.0.0.1"
    port: Annotated[
        int, _doc("Port `survey serve` listens on."), msgspec.Meta(ge=0, le=65535)
    ] = 8000
    workers: Annotated[int, _doc("Number of server worker processes."), msgspec.Meta(ge=1)] = 1
    public_base_url: Annotated[
        str,
        _doc(
            "Public URL residents and the SMS provider reach; used in links and signatures "
            "(default: http://HOST:PORT of `survey serve`, 127.0.0.1 for a wildcard HOST)."
        ),
    ] = ""
    secret_key: Annotated[
        str,
        _doc(
            "Secret for CSRF tokens, session cookies and the response pseudonyms of "
            "evaluators' exports. Required in production."
        ),
    ] = ""
    pool_min_size: Annotated[
        int, _doc("Minimum database connections per worker."), msgspec.Meta(ge=0)
    ] = 2
    pool_max_size: Annotated[
        int, _doc("Maximum database connections per worker."), msgspec.Meta(ge=1)
    ] = 10
    statement_timeout_ms: Annotated[
        int, _doc("Per-statement timeout in milliseconds."), msgspec.Meta(ge=1)
    ] = 15000
    acquire_timeout_ms: Annotated[
        int,
        _doc(
            "Longest wait, in milliseconds, for a database connection (and to open one): "
            "past it a request answers 503 rather than hang on a database that stopped "
            "answering."
        ),
        msgspec.Meta(ge=100, le=60000),
    ] = 5000
    default_locale: Annotated[str, _doc("Language used when nothing else matches.")] = "en"
    questionnaire_dir: Annotated[
        str, _doc("Directory of questionnaire files (default: questionnaires/ in the project).")
    ] = ""
    locales_dir: Annotated[
        str, _doc("Directory of gettext catalogs (default: locales/ in the project).")
    ] = ""
    log_level: Annotated[str, _doc("Log level: DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    max_body_bytes: Annotated[
        int, _doc("Largest accepted request body, in bytes."), msgspec.Meta(ge=1)
    ] = 2_000_000
    cookie_secure: Annotated[
        bool,
        _doc(
            "Mark cookies Secure; unset, true when SURVEY_PUBLIC_BASE_URL is https "
            "(set false only to try an https URL from a plain-http browser)."
        ),
    ] = False
    open_link_rate_per_minute: Annotated[
        int,
        _doc(
            "New open-link visits (landing and start) per client address per minute; "
            "page requests get ten times this, so a forum behind one address can answer."
        ),
        msgspec.Meta(ge=1),
    ] = 60
    login_failure_limit: Annotated[
        int,
        _doc(
            "Failed sign-ins allowed per client address in 10 minutes (per worker); "
            "then every sign-in from it gets 429 with Retry-After until the window ends."
        ),
        msgspec.Meta(ge=1),
    ] = 10
    warm_interval: Annotated[
        float,
        _doc(
            "Seconds between the cache-warming passes each `survey serve` worker runs "
            "(one at a time across workers); 0: none, `survey warm` runs apart instead."
        ),
        msgspec.Meta(ge=0),
    ] = 30.0
    report_prepare_over: Annotated[
        int,
        _doc(
            "Complete responses over which a report whose waves have no cache yet is "
            "prepared in the background: the request answers 503 with Retry-After at "
            "once, not after the build (about 25 s per half a million responses); 0: "
            "every report waits for its own build."
        ),
        msgspec.Meta(ge=0),
    ] = 200_000
    shutdown_grace: Annotated[
        float,
        _doc(
            "Seconds a stopping `survey serve` gives the requests under way to finish; "
            "then it cancels them, each answered 503 with Retry-After."
        ),
        msgspec.Meta(ge=0),
    ] = 10.0
    twilio_account_sid: Annotated[str, _doc("Twilio account SID for outbound SMS.")] = ""
    twilio_auth_token: Annotated[str, _doc("Twilio auth token; signs and verifies webhooks.")] = ""
    twilio_api_base: Annotated[str, _doc("Base URL of the Twilio-compatible Messages API.")] = (
        "https://api.twilio.com"
    )
    twilio_webhook_overrides: Annotated[
        str,
        _doc(
            "Twilio connection overrides the webhooks carry as a URL fragment "
            "(rc=5&rp=5xx,ct,rt: retry a 5xx), as set on the number's webhook too; "
            "signatures are checked with and without it, status callbacks get it."
        ),
    ] = ""
    sms_from_number: Annotated[str, _doc("Sending phone number (E.164) for SMS.")] = ""
    sms_segments_per_second: Annotated[
        float,
        _doc("Send rate per sending number, in SMS segments per second."),
        msgspec.Meta(gt=0),
    ] = 1.0
    sms_reminder_hours: Annotated[
        str, _doc("Hours of silence before each SMS reminder, comma-separated; empty: none.")
    ] = "24,72"
    sms_reminder_gap_hours: Annotated[
        float,
        _doc(
            "Hours a reminder asked for by hand waits after a contact's last invitation "
            "or reminder for the wave, and after they last texted or answered."
        ),
        msgspec.Meta(ge=0),
    ] = 24.0
    sms_reminder_max: Annotated[
        int,
        _doc(
            "Most reminders a contact gets for a wave, automatic and by hand together: "
            "a reminder asked for by hand skips anyone who has had this many."
        ),
        msgspec.Meta(ge=0),
    ] = 3
    sms_default_timezone: Annotated[
        str, _doc("Time zone for quiet hours when a contact has no site.")
    ] = "America/Los_Angeles"

    @property
    def resolved_data_dir(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir).expanduser()
        import platformdirs

        return Path(platformdirs.user_data_dir("community-survey", appauthor=False))

    @property
    def resolved_questionnaire_dir(self) -> Path:
        return (
            Path(self.questionnaire_dir)
            if self.questionnaire_dir
            else PROJECT_ROOT / "questionnaires"
        )

    @property
    def resolved_locales_dir(self) -> Path:
        return Path(self.locales_dir) if self.locales_dir else PROJECT_ROOT / "locales"


ENV_PREFIX = "SURVEY_"


def setting_names() -> list[str]:
    """Environment variable names of every setting, in declaration order."""
    return [ENV_PREFIX + f.name.upper() for f in msgspec.structs.fields(Settings)]


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Build Settings from ``SURVEY_*`` variables, then apply explicit overrides.

    Raises ``ConfigError`` naming the variable when a value does not convert.
    """
    env = os.environ if env is None else env
    raw: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        key = ENV_PREFIX + field.name.upper()
        # A command-line option wins over the variable, even one that would not convert.
        if key in env and env[key] != "" and field.name not in overrides:
            raw[field.name] = env[key]
    raw.update(overrides)
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(_invalid(str(exc), raw, set(overrides))) from None
    check(settings, given=set(raw))
    if settings.database_url and not valid_database_url(settings.database_url):
        raise ConfigError(
            "SURVEY_DATABASE_URL is not a valid PostgreSQL URL "
            "(postgresql://USER@HOST:PORT/DATABASE)"
        )
    if settings.public_base_url.endswith("/"):
        # Every link is built as base + "/path": "https://x.org/" gave "x.org//api/v1".
        base = settings.public_base_url.rstrip("/")
        settings = msgspec.structs.replace(settings, public_base_url=base)
    if not settings.public_base_url:
        # Links printed and sent must reach the server as started: a fixed default
        # pointed residents at :8000 when the port was changed.
        settings = msgspec.structs.replace(settings, public_base_url=local_base_url(settings))
    if "cookie_secure" not in raw and settings.public_base_url.lower().startswith("https://"):
        # Served over HTTPS: a session cookie must never go out over plain http, and a
        # deployment that forgot the flag (compose.yaml sets only the URL) would send it.
        settings = msgspec.structs.replace(settings, cookie_secure=True)
    return settings


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def check(settings: Settings, *, given: set[str] | None = None) -> None:
    """What a type and bound cannot say: checked here so that a mistake stops the
    command before the database starts, not a worker or a page later. ``given``: the
    fields set explicitly (None: all), so the default locale and time zone, known good,
    cost no import."""
    def named(field: str) -> str:
        return ENV_PREFIX + field.upper()

    for field in ("public_base_url", "twilio_api_base"):
        url = getattr(settings, field)
        if url and not _HTTP_URL.fullmatch(url):
            raise ConfigError(
                f"{named(field)} must be an http:// or https:// URL "
                f"(https://survey.example.org), not {url!r}"
            )
    if settings.twilio_webhook_overrides and not _OVERRIDES.fullmatch(
        settings.twilio_webhook_overrides
    ):
        raise ConfigError(
            "SURVEY_TWILIO_WEBHOOK_OVERRIDES must be Twilio's key=value pairs joined by & "
            f"(rc=5&rp=5xx,ct,rt), without the #, not {settings.twilio_webhook_overrides!r}"
        )
    if settings.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(
            f"SURVEY_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, "
            f"not {settings.log_level!r}"
        )
    if settings.pool_min_size > settings.pool_max_size:
        raise ConfigError(
            f"SURVEY_POOL_MIN_SIZE ({settings.pool_min_size}) must not be more than "
            f"SURVEY_POOL_MAX_SIZE ({settings.pool_max_size})"
        )
    try:
        reminder_hours(settings.sms_reminder_hours)
    except ValueError:
        raise ConfigError(
            "SURVEY_SMS_REMINDER_HOURS must be hours above 0, comma-separated (24,72), "
            f"or empty for none, not {settings.sms_reminder_hours!r}"
        ) from None
    if given is None or "default_locale" in given:
        # survey.i18n loads babel: only a locale someone set is worth the import.
        from survey.i18n.locales import SUPPORTED_LOCALES

        if settings.default_locale not in SUPPORTED_LOCALES:
            raise ConfigError(
                f"SURVEY_DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}, "
                f"not {settings.default_locale!r}"
            )
    if given is None or "sms_default_timezone" in given:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(settings.sms_default_timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ConfigError(
                "SURVEY_SMS_DEFAULT_TIMEZONE must be an IANA time zone "
                f"(America/Los_Angeles), not {settings.sms_default_timezone!r}"
            ) from None


_OVERRIDES = re.compile(r"[a-z]{2,3}=[A-Za-z0-9,._:-]+(?:&[a-z]{2,3}=[A-Za-z0-9,._:-]+)*")
_HTTP_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def reminder_hours(text: str) -> tuple[float, ...]:
    """``"24,72"`` -> (24.0, 72.0); ``ValueError`` unless each is a finite number above 0."""
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if part:
            value = float(part)
            if not 0 < value < math.inf:
                raise ValueError(f"reminder hours must be above 0: {part}")
            out.append(value)
    return tuple(out)


_KINDS = {"`int`": "a whole number", "`float`": "a number", "`bool`": "true or false"}


def _invalid(message: str, raw: Mapping[str, object], flags: set[str]) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.port`" in the operator's terms: the
    variable (or the command-line option) that was set, its value, and what it takes."""
    reason, _, where = message.partition(" - at `$.")
    name = where.rstrip("`")
    if not name:
        return f"invalid setting: {message}"
    source = f"--{name.replace('_', '-')}" if name in flags else ENV_PREFIX + name.upper()
    reason = reason.split(", got ")[0].removeprefix("Expected ")
    for kind, words in _KINDS.items():
        reason = reason.replace(kind, words)
    value = raw.get(name)
    shown = repr(value) if isinstance(value, str) else str(value)
    return f"{source} must be {reason}, not {shown}"


def valid_database_url(url: str) -> bool:
    """A URL asyncpg can take: the postgresql or postgres scheme and, when given, a
    numeric port (asyncpg would fail on anything else with an unhelpful error)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("postgresql", "postgres"):
        return False
    for host in parts.netloc.rpartition("@")[2].split(","):  # host1:5432,host2:5433
        _, colon, port = host.rpartition("]")[2].rpartition(":")  # [::1]:5432
        if colon and not port.isdigit():
            return False
    return True


def local_base_url(settings: Settings) -> str:
    """The URL a browser on this machine reaches ``survey serve`` at."""
    host = settings.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def is_production(settings: Settings) -> bool:
    """Served to the public over HTTPS (an https public URL or Secure cookies): a
    deployment, not a developer's machine."""
    return settings.cookie_secure or settings.public_base_url.lower().startswith("https://")


def require_secret(settings: Settings) -> None:
    """Refuse to run a deployment without ``SURVEY_SECRET_KEY`` from the environment.

    A generated key would differ per worker process and change on every restart, so
    CSRF tokens and sessions would fail at random; there is no built-in default.
    """
    if not settings.secret_key and is_production(settings):
        raise ConfigError(
            "SURVEY_SECRET_KEY must be set when serving over HTTPS "
            "(SURVEY_PUBLIC_BASE_URL is https or SURVEY_COOKIE_SECURE is true)"
        )


def with_secret(settings: Settings) -> Settings:
    """Return settings with a secret key, generating an ephemeral one for development."""
    if settings.secret_key:
        return settings
    require_secret(settings)
    return msgspec.structs.replace(settings, secret_key=secrets.token_urlsafe(32))


class ConfigError(Exception):
    """A setting is missing or malformed."""
