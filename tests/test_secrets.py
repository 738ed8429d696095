"""Secrets come only from the environment: no setting has a secret default, no file
in the shipped tree holds a credential, and a deployment (served over HTTPS) refuses to
start without ``SURVEY_SECRET_KEY``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SECRET_FIELDS = ("secret_key", "twilio_auth_token", "twilio_account_sid")
SHIPPED = ["survey", "analysis", "questionnaires", "locales", "docs"]
SHIPPED_FILES = ["compose.yaml", "pyproject.toml", "babel.cfg", "README.md"]
PATTERNS = {
    # All zeros is the documented placeholder the fake provider accepts.
    "Twilio account or key SID": re.compile(r"\b(AC|SK)(?!0{32})[0-9a-f]{32}\b"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "secret literal": re.compile(
        r"""(?i)\b\w*(secret|token|password|passwd|api_key|auth)\w*\s*[:=]\s*"""
        r"""(str\s*=\s*)?["'][A-Za-z0-9_\-+/=]{12,}["']"""
    ),
    # ${VAR} is compose reading the password from the environment.
    "credentials in a URL": re.compile(r"(postgres(ql)?|https?)://[^/\s:@]+:(?!\$\{)[^/\s@]{3,}@"),
}


def test_secret_settings_have_no_default() -> None:
    fields = {f.name: f for f in msgspec.structs.fields(Settings)}
    secretish = {n for n in fields if re.search(r"secret|token|password|sid", n)}
    assert secretish == set(SECRET_FIELDS)
    defaults = load_settings({})
    for name in SECRET_FIELDS:
        assert fields[name].default == "" and getattr(defaults, name) == "", name


def _shipped_files() -> list[Path]:
    files = [ROOT / f for f in SHIPPED_FILES if (ROOT / f).exists()]
    for folder in SHIPPED:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix not in {".mo", ".png", ".ttf", ".woff2", ".pyc"}:
                files.append(path)
    return files


def test_no_credentials_in_the_shipped_tree() -> None:
    found = []
    files = _shipped_files()
    assert len(files) > 50
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for label, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                found.append(f"{path.relative_to(ROOT)}: {label}: {match.group(0)[:60]}")
    assert found == []


@pytest.mark.parametrize(
    "deployment", [{"public_base_url": "https://survey.example.org"}, {"cookie_secure": True}]
)
def test_a_deployment_needs_the_secret_key(resources_base: Any, deployment: dict[str, Any]) -> None:
    from survey.app import create_app

    with pytest.raises(ConfigError, match="SURVEY_SECRET_KEY"):
        create_app(load_settings({}, **deployment), resources=resources_base)
    # Given one, it builds; a developer's machine (plain http) gets a temporary key.
    create_app(load_settings({}, secret_key="k" * 32, **deployment), resources=resources_base)
    create_app(load_settings({}), resources=resources_base)


def test_survey_serve_refuses_to_start_without_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from survey.cli import main

    for name in list(__import__("os").environ):
        if name.startswith("SURVEY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SURVEY_PUBLIC_BASE_URL", "https://survey.example.org")
    # A database that does not exist: the check must come before any connection.
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"postgresql://x@/x?host={tmp_path}")
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "SURVEY_SECRET_KEY must be set" in err
