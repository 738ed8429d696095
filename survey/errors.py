"""Domain errors. Services raise these; ``survey.http_errors`` maps them to HTTP once.

Messages are English msgids so the HTTP layer can translate them for the reader.
This module imports nothing from the web framework or the database driver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Mark a msgid for extraction; ``survey.http_errors`` translates it for the reader."""
    return message


class SurveyError(Exception):
    """Base of every error a user can cause or see."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class NotFound(SurveyError):
    """The resource does not exist, or the caller may not know that it does."""

    status = 404
    code = "not_found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__("%(what)s not found", what=what)


class Unauthorized(SurveyError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str = "Authentication required") -> None:
        super().__init__(message)


class Forbidden(SurveyError):
    status = 403
    code = "forbidden"

    def __init__(self, message: str = "Your role may not do this") -> None:
        super().__init__(message)


class CrossOrigin(Forbidden):
    """A write signed in by the browser's session cookie that does not show it came
    from our own pages: a page on another origin (even the same site) may have sent it."""

    code = "cross_origin"

    def __init__(self) -> None:
        super().__init__(
            "Cross-origin request refused: a write signed in by the session cookie must "
            "come from this service's own pages (or use an API key)"
        )


class UnsupportedMediaType(SurveyError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, expected: str = "application/json") -> None:
        super().__init__("The request body must be sent as %(expected)s", expected=expected)


class Conflict(SurveyError):
    status = 409
    code = "conflict"


class Gone(SurveyError):
    status = 410
    code = "gone"


class RateLimited(SurveyError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int = 60) -> None:
        super().__init__("Too many requests; try again later")
        self.retry_after = retry_after


class InternalError(SurveyError):
    """A bug on our side; the message promises nothing it cannot keep."""

    status = 500
    code = "internal"

    def __init__(self) -> None:
        super().__init__(N_("Something went wrong on our side. Please try again in a moment."))


def http_problem(status: int, message: str) -> SurveyError:
    """A framework error (404, 405, 413…) as a domain error, so pages can render it."""
    error = SurveyError(message)
    error.status = status
    error.code = "http_error"
    return error


class Unavailable(SurveyError):
    """The database cannot be reached; the caller should retry."""

    status = 503
    code = "unavailable"

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__(N_("Service temporarily unavailable"))
        self.retry_after = retry_after


class ReportPreparing(Unavailable):
    """The report's waves are large and have no summaries yet: they are being built in
    the background (``survey.report.preparing``), and the report is ready once they are."""

    code = "preparing"

    def __init__(self, retry_after: int = 15) -> None:
        # Staff read it: marked for their catalog in ``survey.dashboard.errors``.
        SurveyError.__init__(
            self,
            "This report is being prepared: its waves have many responses and no summary "
            "yet, and the first report on them takes a minute or two. Try again in a "
            "minute.",
        )
        self.retry_after = retry_after


class FieldProblem:
    """One bad field: where it is (``field``, optionally a CSV ``row``) and why; a
    stable machine ``code`` and a ``count`` where the reason has them.

    A reason with values in it (``'Klingon' is not a supported language…``) is given
    as its msgid and ``params``: ``reason`` is then the English text, and ``worded``
    asks a reader's catalog for the msgid before putting the values in."""

    __slots__ = ("code", "count", "field", "msgid", "params", "reason", "row")

    def __init__(
        self, field: str, reason: str, row: int | None = None, *,
        code: str | None = None, count: int | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self.field = field
        self.msgid = reason
        self.params = params or {}
        self.reason = reason % self.params if self.params else reason
        self.row = row
        self.code = code
        self.count = count

    def worded(self, translate: Callable[[str], str]) -> str:
        """The reason in the words of ``translate`` (a catalog's gettext)."""
        text = translate(self.msgid)
        return text % self.params if self.params else text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.row is not None:
            out["row"] = self.row
        if self.code is not None:
            out["code"] = self.code
        if self.count is not None:
            out["count"] = self.count
        return out


class InvalidInput(SurveyError):
    """Input failed validation; ``problems`` says which field and why."""

    status = 422
    code = "invalid"

    def __init__(self, problems: list[FieldProblem], message: str = N_("Invalid input")) -> None:
        super().__init__(message)
        self.problems = problems

    @classmethod
    def one(cls, field: str, reason: str) -> InvalidInput:
        return cls([FieldProblem(field, reason)])


class LaunchRefused(InvalidInput):
    """A wave may not launch. ``problems`` are in English; ``localize`` gives them in
    a reader's words (the HTTP layer passes the request's language), from the same
    source the dashboard's launch step uses."""

    code = "launch_refused"

    def __init__(
        self,
        problems: list[FieldProblem],
        message: str,
        localize: Callable[[Any], list[FieldProblem]],
        headline: Callable[[Any], str] | None = None,
    ) -> None:
        super().__init__(problems, message)
        self.localize = localize
        self.headline = headline or (lambda _reader: message)
