"""The survey's urlencoded form parser, held to ``urllib.parse.parse_qsl`` (what
Litestar parses such posts with) on arbitrary bodies."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from survey.web.formdata import Form, parse_urlencoded

# Bodies built from what makes parsing hard: separators, escapes (good, bad and cut
# short), plus signs, raw non-ASCII bytes and UTF-8 text in every script.
_PIECES = st.one_of(
    st.sampled_from(["&", "=", "+", "%", "%2", "%20", "%2B", "%26", "%3D", "%E4%BD%A0",
                     "%E4", "%zz", "%C3%A9", "q_trust_1", "shown", "3", "", "\u00e9"]),
    st.text(max_size=4),
)
BODIES = st.one_of(
    st.binary(max_size=64),
    st.lists(_PIECES, max_size=24).map(lambda parts: "".join(parts).encode("utf-8")),
)


@given(BODIES)
def test_parses_as_parse_qsl_does(body: bytes) -> None:
    assert parse_urlencoded(body) == parse_qsl(body.decode("latin-1"), keep_blank_values=True)


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)), max_size=20))
def test_round_trips_what_a_browser_encodes(fields: list[tuple[str, str]]) -> None:
    # A browser sends every name and value escaped, in UTF-8, spaces as plus signs.
    body = urlencode(fields).encode("ascii")
    assert parse_urlencoded(body) == fields


def test_form_answers_first_value_all_values_and_defaults() -> None:
    form = Form(parse_urlencoded(
        b"shown=trust_1&shown=trust_2&q_race=asian&q_race=white&q_comment=caf%C3%A9+ok&blank="
    ))
    assert form.get("q_comment") == "café ok"
    assert form.get("q_race") == "asian"
    assert form.getall("q_race") == ["asian", "white"]
    assert form.getall("shown") == ["trust_1", "trust_2"]
    assert form.get("blank") == ""
    assert form.get("absent") is None and form.get("absent", "x") == "x"
    assert form.getall("absent") == [] and form.getall("absent", ["d"]) == ["d"]
    assert len(form) == 6
    # getall hands out a copy: changing it changes nothing in the form.
    form.getall("q_race").append("black")
    assert form.getall("q_race") == ["asian", "white"]
