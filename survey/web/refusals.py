"""A survey form post read, and the refusals of a post that cannot be taken."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

from survey.errors import SurveyError
from survey.web import fields, formdata

Req = Request[Any, Any, Any]

#: Survey forms are small; a page of long comments in any script fits well within this.
MAX_FORM_BYTES = 256 * 1024


class FormRejected(SurveyError):
    """The form's CSRF token does not match (a forged or very stale post)."""

    status = 403
    code = "form_rejected"

    def __init__(self) -> None:
        super().__init__("This form could not be accepted. Please go back and try again")


class CookiesNeeded(SurveyError):
    """An open link saves the respondent's place in a cookie; it was not sent back."""

    status = 400
    code = "cookies_needed"

    def __init__(self) -> None:
        super().__init__("Please allow cookies from this site to take the survey")


class FormTooLarge(SurveyError):
    status = 413
    code = "form_too_large"

    def __init__(self) -> None:
        super().__init__("Your answers are too long to send. Please shorten them")


async def read_form(request: Req) -> formdata.Form:
    try:
        form = await formdata.read(request)
    except ClientException as exc:
        if exc.status_code == 413:
            raise FormTooLarge() from None
        raise
    if len(form) > fields.MAX_FIELDS:
        raise FormTooLarge()
    # For a page telling the resident their answers were not saved (the database
    # away): it sends them again, as they were posted.
    request.state.survey_form = form
    return form


async def read_first(request: Req) -> None:
    """A route's ``before_request``: the form is read before a database connection is
    taken, so a post that fails for want of one still has its answers to send again."""
    await read_form(request)
