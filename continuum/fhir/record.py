"""A client's own record as FHIR: the `$everything` Bundle of `views.READS`, made for the
portal's download (continuum/exchange, which reaches it through
`lib.contributions.register_record_format`, never by importing this app).

Built with the access of the client's therapist (the client's portal login treats nobody):
the patient, their therapist, the practice and every READS type searched by patient, as
`Patient/{id}/$everything` gives them. No reflection is in any READS type.
"""

from __future__ import annotations

import json

from django.http import HttpRequest

from continuum.accounts.actors import Channel, actor_for
from continuum.care.models import Client
from continuum.fhir import mappers
from continuum.fhir.views import READS, base_url


def client_bundle(client: Client) -> mappers.Resource:
    request = HttpRequest()
    request.method = "GET"
    request.api_actor = actor_for(client.therapist, channel=Channel.API)  # type: ignore[attr-defined]
    resources = [
        mappers.patient(client),
        mappers.practitioner(client.therapist),
        mappers.organization(client.practice),
    ]
    for entry in READS.values():
        if entry.for_patient is not None:
            resources += [entry.to_fhir(request, r) for r in entry.for_patient(request, client)]
    return mappers.bundle(resources, base_url())


def client_bundle_file(client: Client) -> bytes:
    return json.dumps(client_bundle(client), ensure_ascii=False, indent=2).encode()
