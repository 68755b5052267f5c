"""A client's own record as FHIR: the `$everything` Bundle of `views.READS`, made for the
portal's download (continuum/exchange, which reaches it through
`lib.contributions.register_record_format`, never by importing this app).

Built with the access of the client's therapist (the client's portal login treats nobody):
the patient, their therapist, the practice and every READS type searched by patient, as
`Patient/{id}/$everything` gives them, less what the client's record leaves out (LEFT_OUT,
drafts). No reflection is in any READS type.
"""

from __future__ import annotations

import json

from django.http import HttpRequest

from continuum.accounts.actors import Channel, actor_for
from continuum.care.models import Client
from continuum.fhir import mappers
from continuum.fhir.views import READS, base_url

# Not part of the client's own copy (as in exchange/record.py): open safety Flags are the
# therapist's working alerts, the DocumentReference is the clinical version of the ending
# summary (the client's version is in the PDF), and a draft plan and its proposed goals were
# never published.
LEFT_OUT = frozenset({"Flag", "DocumentReference"})


def in_record(resource: mappers.Resource) -> bool:
    kind = resource["resourceType"]
    if kind in LEFT_OUT:
        return False
    if kind == "CarePlan" and resource.get("status") == "draft":
        return False
    return not (kind == "Goal" and resource.get("lifecycleStatus") == "proposed")


def client_bundle(client: Client) -> mappers.Resource:
    request = HttpRequest()
    request.method = "GET"
    request.api_actor = actor_for(client.therapist, channel=Channel.API)  # type: ignore[attr-defined]
    resources = [
        mappers.patient(client),
        mappers.practitioner(client.therapist),
        mappers.organization(client.practice),
    ]
    for kind, entry in READS.items():
        if entry.for_patient is not None and kind not in LEFT_OUT:
            found = (entry.to_fhir(request, r) for r in entry.for_patient(request, client))
            resources += [r for r in found if in_record(r)]
    return mappers.bundle(resources, base_url())


def client_bundle_file(client: Client) -> bytes:
    return json.dumps(client_bundle(client), ensure_ascii=False, indent=2).encode()
