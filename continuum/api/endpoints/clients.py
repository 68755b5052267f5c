"""Clients and their episodes of care (scope `clients`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params.functions import Header, Query

from continuum.api.core import ERRORS, TokenAuth, actor, once, page, user
from continuum.api.schemas import (
    ClientIn,
    ClientOut,
    ClientPage,
    ClientPatch,
    EpisodeOut,
    EpisodePage,
)
from continuum.care.access import clients_for, get_client_for, get_episode_for
from continuum.care.models import Episode
from continuum.care.services.clients import create_client, update_client

router = Router(auth=TokenAuth("clients"), tags=["clients"])

CLIENT_SORTS = ("last_name", "-last_name", "id", "-id", "created_at", "-created_at")
EPISODE_SORTS = ("start_date", "-start_date", "id", "-id")


@router.get("/clients", response={200: ClientPage, **ERRORS}, url_name="clients")
def list_clients(
    request: HttpRequest,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("last_name", description=", ".join(CLIENT_SORTS)),
) -> Any:
    rows, next_cursor = page(
        clients_for(user(request)), sort=sort, allowed=CLIENT_SORTS, cursor=cursor, limit=limit
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/clients", response={201: ClientOut, **ERRORS}, url_name="clients_create")
def create(
    request: HttpRequest,
    data: ClientIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key"),
) -> Any:
    def work() -> tuple[int, ClientOut]:
        details = data.model_dump(exclude={"referral_reason"})
        client = create_client(
            by=user(request),
            details=details,
            referral_reason=data.referral_reason,
            actor=actor(request),
        )
        return 201, ClientOut.model_validate(client, from_attributes=True)

    return once(request, idempotency_key, work)


@router.get("/clients/{client_id}", response={200: ClientOut, **ERRORS}, url_name="client")
def read(request: HttpRequest, client_id: int) -> Any:
    return get_client_for(actor(request), client_id)


@router.patch("/clients/{client_id}", response={200: ClientOut, **ERRORS}, url_name="client_update")
def update(request: HttpRequest, client_id: int, data: ClientPatch) -> Any:
    client = get_client_for(actor(request), client_id)
    details = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    update_client(client, by=user(request), details=details, actor=actor(request))
    return client


@router.get(
    "/clients/{client_id}/episodes",
    response={200: EpisodePage, **ERRORS},
    url_name="client_episodes",
)
def client_episodes(
    request: HttpRequest,
    client_id: int,
    cursor: str | None = None,
    limit: int = 50,
    sort: str = Query("-start_date", description=", ".join(EPISODE_SORTS)),
) -> Any:
    client = get_client_for(actor(request), client_id)
    rows, next_cursor = page(
        Episode.objects.filter(client=client),
        sort=sort,
        allowed=EPISODE_SORTS,
        cursor=cursor,
        limit=limit,
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/episodes/{episode_id}", response={200: EpisodeOut, **ERRORS}, url_name="episode")
def episode(request: HttpRequest, episode_id: int) -> Any:
    return get_episode_for(actor(request), episode_id)
