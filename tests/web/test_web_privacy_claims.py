"""What residents are told about their phone number must be true.

A personal link or an SMS conversation ties a response to an invitation, and the
invitation to a contact's phone number (``responses.invitation_id`` →
``invitations.contact_id``; ``sms_conversations``), so no shipped text may say the
answers are not linked to the phone number, or that they are anonymous. What is true,
and what the texts say instead: the number is kept apart from the answers, used only to
send surveys and reminders, and never appears in results or exports.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from respondent import HTML
from survey_setup import Setup

from survey.i18n.catalogs import DOMAINS, read_catalog
from survey.i18n.locales import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parents[2]

# The claim as the English and every translation used to make it.
FALSE_CLAIMS = (
    "not linked to your phone", "answers are anonymous", "no se vinculan con su número",
    "sus respuestas son anónimas", "也不会与您的电话号码关联", "也不會與您的電話號碼連結",
    "您的回答是匿名的", "không được liên kết với số điện thoại",
    "câu trả lời là ẩn danh", "hindi iniuugnay ang iyong mga sagot",
    "hindi nagpapakilala ang iyong mga sagot", "не связаны с вашим номером",
    "добровольные и анонимные", "전화번호와 연결되지 않습니다", "응답은 익명이며",
    "kuma xirna lambarka", "jawaabahaagu waa qarsoodi", "ከስልክ ቁጥርዎ ጋር አይገናኙም",
    "መልሶችዎ ማንነትን አይገልጹም", "не пов'язані з вашим номером", "добровільні та анонімні",
    "ਫ਼ੋਨ ਨੰਬਰ ਨਾਲ ਨਹੀਂ ਜੋੜੇ", "ਜਵਾਬ ਗੁਮਨਾਮ ਹਨ", "មិនត្រូវបានភ្ជាប់ជាមួយលេខទូរស័ព្ទ",
    "ចម្លើយរបស់អ្នកគឺអនាមិក", "ترتبط إجاباتك برقم هاتفك", "إجاباتك مجهولة الهوية",
)


def _shipped_texts() -> dict[str, str]:
    texts = {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for pattern in ("questionnaires/*.toml", "survey/templates/**/*.html", "README.md")
        for path in ROOT.glob(pattern)
    }
    for locale in SUPPORTED_LOCALES:
        for domain in DOMAINS:
            path = ROOT / "locales" / locale / "LC_MESSAGES" / f"{domain}.po"
            if not path.is_file():
                continue
            catalog = read_catalog(path, locale)
            # Fuzzy drafts count: a wave that allows unreviewed translations shows them.
            # Obsolete entries are never shown, and ``#|`` lines are comments.
            texts[f"{locale}/{domain}"] = "\n".join(
                f"{m.id}\n{m.string}" for m in catalog if m.id
            )
    return texts


def test_no_shipped_text_says_answers_are_unlinked_from_the_phone() -> None:
    texts = _shipped_texts()
    assert len([k for k in texts if k.endswith("/questionnaires")]) >= 13
    found = [
        (where, claim) for where, text in texts.items() for claim in FALSE_CLAIMS
        if claim.lower() in text.lower()
    ]
    assert found == []


def test_the_consent_says_what_happens_to_the_phone_number(resources: Any) -> None:
    for name in ("community-trust", "community-trust-sms", "pulse"):
        consent = resources.questionnaires[name].consent
        assert "phone number is kept apart from your answers" in consent, name
        assert "never appears in results" in consent, name


async def test_personal_link_landing_shows_the_true_consent(
    client: Any, wave: Setup
) -> None:
    page = await client.get(wave.personal_path(), headers=HTML)
    assert page.status_code == 200
    assert "your phone number is kept apart from your answers" in page.text
    assert "not linked to your phone" not in page.text
    # The Spanish draft (the test wave allows unreviewed translations) says it too.
    spanish = await client.get(f"{wave.personal_path()}?lang=es", headers=HTML)
    assert spanish.status_code == 200
    assert '<html lang="es"' in spanish.text
    assert "su número de teléfono se guarda aparte de sus respuestas" in spanish.text
    assert "no se vinculan con su número" not in spanish.text
