"""Builders for the FHIR app's tests (and the URL sweep)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from continuum.accounts.models import User
from continuum.fhir.models import ExportFile, ExportJob, ExportStatus


def make_export(user: User) -> tuple[ExportJob, ExportFile]:
    """A finished export of `user`'s with one (empty-bodied) file."""
    now = timezone.now()
    job = ExportJob.objects.create(
        user=user,
        practice_id=user.membership.practice_id,
        level="system",
        types=["Patient"],
        request_url="http://testserver/fhir/r4/$export",
        status=ExportStatus.DONE,
        progress=100,
        transaction_time=now,
        finished_at=now,
        expires_at=now + timedelta(hours=1),
    )
    file = ExportFile.objects.create(job=job, resource_type="Patient", count=0, content="\n")
    return job, file
