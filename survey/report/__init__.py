"""Pre/post program reports: per site and construct, across sites, with honest uncertainty.

- ``service.build_report``: the whole report for a program (access-checked).
- ``margins``: population margins for weighting (CSV upload).
- ``synthetic``: demo and benchmark data with known effects.

The package knows nothing of HTTP. Its SQL lives in ``survey/sql/report*.sql``;
``aggregate`` is the only module that runs it, and ``engine.compute`` is pure CPU.
"""

from survey.report.model import Report
from survey.report.service import build_report

__all__ = ["Report", "build_report"]
