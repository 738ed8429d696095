"""Who may do what: roles, program membership, and the one access check.

Rules:
- ``admin`` may do everything.
- ``grantee`` works inside their own programs: structure, contacts (PII), waves,
  invitations, fieldwork and reports.
- ``evaluator`` reads program structure, reports and de-identified exports of the
  programs assigned to them; never contacts. They also set the report's analysis
  settings (``analysis``: the weighting margins), which hold population figures and
  nothing about a person, since weighting is the evaluator's work.
A program the caller does not belong to is reported as not found, so its existence
is not disclosed.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from survey.errors import Forbidden, NotFound
from survey.i18n.marks import staff as t

Role = Literal["admin", "grantee", "evaluator"]
ROLES: tuple[Role, ...] = ("admin", "grantee", "evaluator")

Action = Literal["read", "write", "pii", "report", "export", "analysis"]

_ALLOWED: dict[str, frozenset[str]] = {
    "grantee": frozenset({"read", "write", "pii", "report", "export", "analysis"}),
    "evaluator": frozenset({"read", "report", "export", "analysis"}),
}


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller."""

    user_id: int
    email: str
    name: str
    role: Role
    program_ids: frozenset[int] = frozenset()
    locale: str = "en"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


SYSTEM = Principal(user_id=0, email="system", name="system", role="admin")


def check(principal: Principal, program_id: int, action: Action) -> None:
    """Raise NotFound for another program, Forbidden for a role that may not act."""
    if principal.is_admin:
        return
    if program_id not in principal.program_ids:
        raise NotFound("program")
    if action not in _ALLOWED.get(principal.role, frozenset()):
        raise Forbidden()


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden(t("Only an administrator may do this"))


def may(principal: Principal, program_id: int, action: Action) -> bool:
    try:
        check(principal, program_id, action)
    except (NotFound, Forbidden):
        return False
    return True
