"""Placeholder module: filled in by the care work."""

from __future__ import annotations

from typing import Any

from django.http import Http404


def _todo(*args: Any, **kwargs: Any) -> Any:
    raise Http404("not built yet")


appointment_create = appointment_detail = appointment_edit = appointment_status = _todo
