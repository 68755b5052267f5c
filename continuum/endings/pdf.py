"""PDFs with WeasyPrint, from the same templates as the pages, fetching nothing from the network.

The HTML is rendered with a fake base URL on a reserved domain (.invalid never resolves); the
fetcher serves only our own static files under STATIC_URL on that host, and data: URIs (the
embedded SVG charts). Anything else, an external URL included, is refused: WeasyPrint logs a
warning and leaves the resource out, so a page can never make the PDF renderer call out.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PDF_HOST = "continuum-pdf.invalid"
PDF_BASE_URL = f"https://{PDF_HOST}/"


class BlockedFetch(ValueError):
    """The PDF asked for something that is not one of our static files."""


def static_file(name: str) -> Path | None:
    """The file behind a static name (collected first, then the finders), or None."""
    clean = posixpath.normpath(unquote(name)).lstrip("/")
    if clean.startswith("..") or clean in ("", "."):
        return None
    try:
        if staticfiles_storage.exists(clean):
            return Path(staticfiles_storage.path(clean))
    except NotImplementedError:  # a storage without local paths
        pass
    found = finders.find(clean)
    if isinstance(found, list):
        found = found[0] if found else None
    return Path(found) if found else None


def _fetcher_class() -> Any:
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]
        """Serves data: URIs and our static files; refuses every other URL."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("data",), allow_redirects=False)
            self.fetched: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            static_url = settings.STATIC_URL
            if (
                parts.scheme == "https"
                and parts.netloc == PDF_HOST
                and parts.path.startswith(static_url)
            ):
                path = static_file(parts.path[len(static_url) :])
                if path is not None and path.is_file():
                    self.fetched.append(url)
                    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        url, path.read_bytes(), headers={"Content-Type": mime}
                    )
            self.refused.append(url)
            # Never the URL's query (it could carry anything); the scheme and host suffice.
            raise BlockedFetch(f"refused to fetch from {parts.scheme}://{parts.netloc}")

    return StaticOnlyFetcher


def static_only_fetcher() -> Any:
    return _fetcher_class()()


def html_to_pdf(html: str, fetcher: Any = None) -> bytes:
    from weasyprint import HTML

    document = HTML(
        string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher or static_only_fetcher()
    )
    pdf: bytes = document.write_pdf()
    return pdf


def render_pdf(template: str, context: dict[str, Any], request: HttpRequest | None = None) -> bytes:
    return html_to_pdf(render_to_string(template, {**context, "for_pdf": True}, request=request))


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    """Inline, never cached; the file name carries ids only, never a name."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
