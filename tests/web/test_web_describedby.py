"""Every note that describes a question stays tied to it with ``aria-describedby``
when a page comes back with errors: the "answer this only if it applies" note of a
conditional question on the one-page form, the hint, and the error itself; and no
reference points at an element the page does not have."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from respondent import Respondent, fill
from survey_setup import Setup, parse_form


class _Described(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described: dict[str, list[str]] = {}  # element id (or tag) → ids it cites

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if a.get("id"):
            self.ids.add(a["id"])
        if "aria-describedby" in a:
            key = a.get("id") or f"{tag}#{len(self.described)}"
            self.described[key] = a["aria-describedby"].split()


def _described(html: str) -> _Described:
    parser = _Described()
    parser.feed(html)
    return parser


def _check_references(page: _Described) -> None:
    dangling = {k: [i for i in v if i not in page.ids] for k, v in page.described.items()}
    assert {k: v for k, v in dangling.items() if v} == {}
    notes = {i for i in page.ids if i.endswith(("-if", "-help", "-hint", "-error"))}
    cited = {i for ids in page.described.values() for i in ids}
    assert notes - cited == set()  # every note describes its question


async def test_one_page_form_keeps_every_description_after_errors(
    client: Any, wave: Setup
) -> None:
    who = Respondent(client, wave.open_path)
    page = await who.get(wave.open_path + "/all")
    assert page.status_code == 200
    before = _described(page.text)
    _check_references(before)
    assert before.described["participate_count-input"] == [
        "participate_count-if",
        "participate_count-hint",
    ]
    form = parse_form(page.text, "/all")
    sent = await who.post(form.action, fill(form, {"participate_count": "abc"}))
    assert sent.status_code == 422
    after = _described(sent.text)
    _check_references(after)
    assert sorted(after.described["participate_count-input"]) == [
        "participate_count-error",
        "participate_count-hint",
        "participate_count-if",
    ]
    # The other conditional questions keep their note too.
    assert {k: v for k, v in after.described.items() if k != "participate_count-input"} == {
        k: v for k, v in before.described.items() if k != "participate_count-input"
    }


async def test_page_by_page_errors_cite_only_notes_on_the_page(
    client: Any, wave: Setup
) -> None:
    # Page by page a conditional question is shown only where it applies, without
    # the note; its error and hint still describe it.
    who = Respondent(client, wave.personal_path())
    page = await who.start()
    for _ in range(20):
        form = parse_form(page.text, "")
        if "participate_count" in form.shown:
            break
        posted = await who.answer(page, {"participate_kinds": "meeting"})
        assert posted.status_code == 303, posted.text
        page = await who.get(posted.headers["location"])
    else:
        raise AssertionError("participate_count never shown")
    sent = await who.post(form.action, fill(form, {"participate_count": "abc"}))
    assert sent.status_code == 422
    after = _described(sent.text)
    _check_references(after)
    assert sorted(after.described["participate_count-input"]) == [
        "participate_count-error",
        "participate_count-hint",
    ]
