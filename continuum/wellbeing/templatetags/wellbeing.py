"""`{% session_weight_form appointment %}`: the one-tap "How heavy was this session?" form.

For the note page: it shows the user's current rating (one query) and only for a session the
user held and that took place; for anyone else it renders nothing.
"""

from __future__ import annotations

from typing import Any

from django import template

from continuum.care.models import Appointment, AppointmentStatus
from continuum.wellbeing.models import SessionWeight

register = template.Library()


@register.inclusion_tag("wellbeing/_weight_form.html", takes_context=True)
def session_weight_form(context: Any, appointment: Appointment) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    show = (
        user is not None
        and getattr(user, "is_authenticated", False)
        and appointment.therapist_id == user.pk
        and appointment.status == AppointmentStatus.ATTENDED
    )
    weight = (
        SessionWeight.objects.filter(therapist=user, appointment=appointment).first()
        if show
        else None
    )
    return {
        "show": show,
        "appointment": appointment,
        "weight": weight,
        "with_line": True,
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
