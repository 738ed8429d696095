"""The subset of XLSForm (ODK XPath) expressions we can carry over faithfully.

``relevant``: comparisons of one earlier field with a literal (``${q} = 'yes'``,
``${n} >= 3``), ``selected(${q}, 'a')``, ``not(...)``, ``and``/``or`` and parentheses.
``constraint``: bounds on ``.`` (``. >= 0 and . <= 120``) and
``string-length(.) <= n``. Anything else is refused with a reason, never guessed:
a wrong skip rule silently changes who answers what.
"""

from __future__ import annotations

import re

import msgspec

from survey.questionnaire.model import Condition


class Unsupported(Exception):
    """The expression uses something we do not translate; the message says what."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>\$\{[A-Za-z_][\w.-]*\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<paren>[(),])
      | (?P<word>[A-Za-z_][\w-]*(?:\(\s*\.\s*\))?|\.)
    )""",
    re.X,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise Unsupported(f"cannot read {text[pos:pos + 20]!r}")
        kind = match.lastgroup or ""
        out.append((kind, match.group(kind).strip()))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, text: str, integer_fields: set[str]) -> None:
        self.tokens = _tokens(text)
        self.pos = 0
        self.integer_fields = integer_fields

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (value is not None and got != value):
            raise Unsupported(f"expected {value or kind}, found {got or 'end'!r}")
        self.pos += 1
        return got

    def parse(self) -> Condition:
        condition = self.disjunction()
        if self.peek()[0] != "end":
            raise Unsupported(f"unexpected {self.peek()[1]!r}")
        return condition

    def disjunction(self) -> Condition:
        parts = [self.conjunction()]
        while self.peek() == ("word", "or"):
            self.pos += 1
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Condition(any=parts)

    def conjunction(self) -> Condition:
        parts = [self.atom()]
        while self.peek() == ("word", "and"):
            self.pos += 1
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Condition(all=parts)

    def atom(self) -> Condition:
        kind, value = self.peek()
        if (kind, value) == ("paren", "("):
            self.pos += 1
            inner = self.disjunction()
            self.take("paren", ")")
            return inner
        if kind == "word" and value in ("not", "selected"):
            self.pos += 1
            self.take("paren", "(")
            if value == "not":
                inner = self.disjunction()
                self.take("paren", ")")
                return Condition(not_=inner)
            field = _field(self.take("field"))
            self.take("paren", ",")
            literal = self.take("string")[1:-1]
            self.take("paren", ")")
            return Condition(item=field, equals=literal)
        if kind == "field":
            return self.comparison()
        raise Unsupported(f"{value!r} is not supported (only fields, selected(), not(), and, or)")

    def comparison(self) -> Condition:
        field = _field(self.take("field"))
        op = self.take("op")
        kind, raw = self.peek()
        if kind == "string":
            self.pos += 1
            literal = raw[1:-1]
            if op == "=":
                return Condition(answered=False, item=field) if literal == "" else Condition(
                    item=field, equals=literal)
            if op == "!=":
                if literal == "":
                    return Condition(item=field, answered=True)
                # As in ODK, an unanswered field is != 'x' too; not(equals) keeps that.
                return Condition(not_=Condition(item=field, equals=literal))
            raise Unsupported(f"{op} with text is not supported")
        number = float(self.take("number"))
        if op == "=":
            return Condition(item=field, equals=number)
        if op == "!=":
            return Condition(not_=Condition(item=field, equals=number))
        if op in (">", "<"):
            if field not in self.integer_fields or number != int(number):
                raise Unsupported(f"strict {op} on a non-integer field is not supported")
            # Our bounds are inclusive; on whole numbers "> 3" is ">= 4".
            op, number = (">=", number + 1) if op == ">" else ("<=", number - 1)
        if op == ">=":
            return Condition(item=field, min=number)
        if op == "<=":
            return Condition(item=field, max=number)
        raise Unsupported(f"operator {op} is not supported")


def _field(token: str) -> str:
    return token[2:-1]


def parse_relevant(text: str, integer_fields: set[str] | None = None) -> Condition:
    """A ``show_if`` condition for an XLSForm ``relevant`` expression, or ``Unsupported``."""
    if not text.strip():
        raise Unsupported("empty expression")
    return _Parser(text, integer_fields or set()).parse()


class Bounds(msgspec.Struct, frozen=True, kw_only=True):
    min: float | None = None
    max: float | None = None
    max_length: int | None = None


_BOUND = re.compile(
    r"^(?P<lhs>\.|string-length\(\s*\.\s*\))\s*(?P<op>>=|<=|>|<)\s*(?P<num>-?\d+(?:\.\d+)?)$"
)


def parse_constraint(text: str, integer: bool = True) -> Bounds:
    """Bounds for ``. >= a and . <= b`` / ``string-length(.) <= n``, or ``Unsupported``."""
    low: float | None = None
    high: float | None = None
    max_length: int | None = None
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _BOUND.match(part.strip())
        if not match:
            raise Unsupported(f"constraint {part.strip()!r} is not a simple bound")
        op, number = match["op"], float(match["num"])
        if match["lhs"] != ".":
            if op not in ("<=", "<"):
                raise Unsupported("only a maximum string-length is supported")
            max_length = int(number) - (1 if op == "<" else 0)
            continue
        if op in (">", "<"):
            if not integer or number != int(number):
                raise Unsupported(f"strict {op} on a decimal is not supported")
            number = number + 1 if op == ">" else number - 1
        if op in (">=", ">"):
            low = number
        else:
            high = number
    return Bounds(min=low, max=high, max_length=max_length)
