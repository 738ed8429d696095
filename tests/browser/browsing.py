"""Driving survey pages in Chromium the way a resident does: clicking labels, typing,
pressing the button. Used by the browser tests."""

from __future__ import annotations

from typing import Any

Overrides = dict[str, str | list[str]]


def html_attrs(page: Any) -> tuple[str, str]:
    lang, direction = page.evaluate(
        "() => [document.documentElement.lang, document.documentElement.dir]"
    )
    return str(lang), str(direction)


def section_of(page: Any) -> str:
    """The section id of the question page shown, from its form's action."""
    action = page.get_attribute("form.page-form", "action") or ""
    return action.rsplit("/", 1)[-1]


def shown_items(page: Any) -> list[str]:
    return [str(v) for v in page.eval_on_selector_all(
        "form.page-form input[name=shown]", "els => els.map(e => e.value)")]


_FILL = """({overrides, typed}) => {
    const shown = [...document.querySelectorAll("form.page-form input[name=shown]")];
    const tick = (box) => {
        // Through the label, as a finger would; a second click would untick a box.
        if (!box.checked) document.querySelector(`label[for="${box.id}"]`).click();
    };
    for (const {value: item} of shown) {
        const question = document.getElementById(`question-${item}`);
        const input = document.getElementById(`${item}-input`);
        if (item in overrides) {
            const wanted = [].concat(overrides[item]).filter(v => v !== "");
            for (const value of wanted) {
                const box = question.querySelector(`input[value="${value}"]`);
                if (box && (box.type === "radio" || box.type === "checkbox")) tick(box);
                else input.value = value;
            }
            continue;
        }
        const first = question.querySelector(".choices:not(.missing) input");
        if (first) tick(first);
        else input.value = input.getAttribute("inputmode") ? "3" : typed;
    }
}"""

TYPED = "Más luz en la calle / شكرا"


def fill_page(page: Any, overrides: Overrides | None = None) -> None:
    """Answer every question on the page: the first option, or typed text, unless
    ``overrides`` gives values (option values; "" leaves it blank). One round trip per
    page keeps the suite fast; the clicks still go through each option's label."""
    page.evaluate(_FILL, {"overrides": overrides or {}, "typed": TYPED})


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.click("form.page-form button[type=submit]")


def finish(page: Any, overrides: Overrides | None = None, *, limit: int = 30) -> list[str]:
    """Answer page after page until the thank-you page; returns the sections seen."""
    seen = []
    for _ in range(limit):
        if page.url.endswith("/done"):
            return seen
        seen.append(section_of(page))
        fill_page(page, overrides)
        submit(page)
    raise AssertionError(f"the survey did not end: {seen}")


def walk_to(page: Any, section: str, overrides: Overrides | None = None) -> None:
    """Answer pages until the page of ``section`` is shown."""
    for _ in range(30):
        if section_of(page) == section:
            return
        fill_page(page, overrides)
        submit(page)
    raise AssertionError(f"never reached {section}")


def start(page: Any, url: str) -> None:
    """Open a link and press Start on the intro page."""
    page.goto(url)
    with page.expect_navigation():
        page.click("form.start-form button[type=submit]")


def axe_audit(page: Any) -> dict[str, Any]:
    """One axe-core run over the page as it is now, with the rules axe runs by default:
    ``rules``, the ids of the rules it ran, and ``violations``, each with its ``id``,
    ``impact`` and every failing element's ``target``."""
    found: dict[str, Any] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return {
                rules: [...result.violations, ...result.passes, ...result.incomplete,
                        ...result.inapplicable].map(r => r.id),
                violations: result.violations.map(v => ({
                    id: v.id, impact: v.impact,
                    targets: v.nodes.map(n => n.target.join(" ")),
                })),
            };
        }"""
    )
    return found


def serious(audit: dict[str, Any]) -> list[str]:
    """The audit's serious and critical violations, each with its first three elements."""
    return [f"{v['id']} ({v['impact']}): " + ", ".join(v["targets"][:3])
            for v in audit["violations"] if v["impact"] in ("serious", "critical")]


def failing(audit: dict[str, Any], rule: str) -> list[str]:
    """The elements failing one rule of the audit, whatever its impact."""
    assert rule in audit["rules"], f"axe did not run {rule}"
    return [t for v in audit["violations"] if v["id"] == rule for t in v["targets"]]


def axe_problems(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    return serious(axe_audit(page))
