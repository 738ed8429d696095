"""The report as a standalone HTML document and as a PDF, from one template.

The PDF is WeasyPrint's rendering of that same HTML with the print stylesheet: it
is pure Python over Pango (no browser in production), writes tagged, searchable
text, and handles paged-media CSS (running headers, page numbers, page breaks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, select_autoescape

HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
STYLESHEET = HERE / "static" / "dashboard.report.css"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def html_document(context: dict[str, Any], *, inline_css: bool) -> str:
    """The full report page. ``inline_css`` for a downloaded file (opened offline,
    where /static is not reachable); the served page links the stylesheet instead,
    because the Content-Security-Policy forbids inline styles."""
    css = STYLESHEET.read_text(encoding="utf-8") if inline_css else None
    return _env.get_template("report/document.html").render(**context, inline_css=css)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML

    # The document links dashboard.report.css, resolved against the static directory.
    document = HTML(string=html, base_url=str(HERE / "static") + "/")
    # PDF/UA-1: tagged structure (headings, tables, figures with their alt text), the
    # document's language and title, which screen readers and public agencies'
    # accessibility checks need. It costs about 7% more rendering time.
    out: bytes = document.write_pdf(pdf_variant="pdf/ua-1")
    return out


async def pdf_document(context: dict[str, Any]) -> bytes:
    """The print-ready PDF (US Letter, like the flyer), rendered in a worker thread."""
    html = html_document(context, inline_css=False)
    return await anyio.to_thread.run_sync(_pdf, html)
