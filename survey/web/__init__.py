"""The respondent web survey: personal links ``/s/<token>`` and open links
``/o/<program>-<code>``, server-rendered, working without JavaScript.

``create_app`` registers ``ROUTES`` and merges ``app_state(settings)`` into the
application state (limiters, caches, and the HTML error-page hook).
"""

from __future__ import annotations

from typing import Any

from survey.config import Settings
from survey.web.errors import render_error_page
from survey.web.routes import OpenLinkController, PersonalLinkController
from survey.web.state import WebState

ROUTES = [PersonalLinkController, OpenLinkController]


def app_state(settings: Settings) -> dict[str, Any]:
    return {"web": WebState(settings), "render_error_page": render_error_page}


__all__ = ["ROUTES", "WebState", "app_state", "render_error_page"]
