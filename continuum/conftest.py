"""Fixtures shared by every app's tests."""

from __future__ import annotations

from continuum.testing.browser import browser, page, page_problems, phone_page

__all__ = ["browser", "page", "page_problems", "phone_page"]
