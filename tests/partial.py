"""Catalogs with the gaps a language has while it is being translated, built from the
shipped ones: every shipped language is now complete, but what the product does with
a missing string (mark it English, refuse a launch, count it) must stay tested."""

from __future__ import annotations

import shutil
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from survey.i18n import Catalogs

ROOT = Path(__file__).resolve().parent.parent
WEB_ONLY = "questionnaires/community-trust.toml"
# Spanish as it was drafted first: three messages once composed with its answers.
LONG_SPANISH = (
    "En los últimos 12 meses, ¿tuvo algún contacto con la policía de su zona "
    "(la llamó, lo/la detuvieron, habló con un agente en un evento)?"
)


def _edit(path: Path, *, web_only_missing: bool = False,
          replace: dict[str, str] | None = None) -> None:
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id:
            continue
        files = {filename for filename, _ in message.locations}
        if web_only_missing and files == {WEB_ONLY}:
            message.string = ("", "") if message.pluralizable else ""
        if replace and message.context in replace:
            message.string = replace[message.context]
    with path.open("wb") as fh:
        write_po(fh, catalog, width=76, include_lineno=False)


def partial_catalogs(into: Path) -> Catalogs:
    """A copy of ``locales/`` with those gaps, loaded."""
    locales = into / "locales"
    shutil.copytree(ROOT / "locales", locales)
    for code in ("vi", "so"):
        _edit(locales / code / "LC_MESSAGES" / "questionnaires.po", web_only_missing=True)
    _edit(
        locales / "es" / "LC_MESSAGES" / "questionnaires.po",
        replace={"item/contact_12m/sms_prompt": LONG_SPANISH},
    )
    return Catalogs.load(locales)
