"""The staff dashboard: server-rendered pages for grantees, evaluators and admins.

Pages call the same services as the JSON API, which stays the source of truth; files
(exports, rendered reports, QR codes) are API routes the pages link to. JavaScript
only enhances (the fieldwork monitor's refresh); every page works without it.

``create_app`` registers ``ROUTES`` and merges ``app_state(...)`` into the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey.dashboard.account import AccountPages
from survey.dashboard.auth import AuthController
from survey.dashboard.errors import Renderer, chain
from survey.dashboard.i18n import DashboardCatalogs
from survey.dashboard.monitor import FieldworkApi, MonitorController
from survey.dashboard.outreach import OutreachPages
from survey.dashboard.privacy import PrivacyPages
from survey.dashboard.programs import ProgramPages
from survey.dashboard.reports import DownloadApi, ReportPages
from survey.dashboard.review import ReviewPages
from survey.dashboard.wizard import WizardPages


class DashboardState:
    def __init__(self, locales_dir: Path) -> None:
        self.catalogs = DashboardCatalogs(locales_dir)


# Each page controller brings its own CSRF check (DashboardPages).
ROUTES: list[Any] = [
    AuthController,
    AccountPages,
    ProgramPages,
    WizardPages,
    MonitorController,
    OutreachPages,
    PrivacyPages,
    ReviewPages,
    ReportPages,
    FieldworkApi,
    DownloadApi,
]


def app_state(locales_dir: Path, fallback: Renderer | None) -> dict[str, Any]:
    return {"dashboard": DashboardState(locales_dir), "render_error_page": chain(fallback)}


__all__ = ["ROUTES", "DashboardState", "app_state"]
