from __future__ import annotations

from django.urls import path

from continuum.boundaries.views import portal, therapist

app_name = "boundaries"

# Included at the root: the therapist's own policy under me/, a client's messages beside the
# client record, the client's pages under portal/ (the client comes from the login).
urlpatterns = [
    # --- the therapist ---
    path("me/boundaries/", therapist.policy_edit, name="policy_edit"),
    path("clients/<int:client_id>/messages/", therapist.client_messages, name="client_messages"),
    path(
        "clients/<int:client_id>/messages/read/",
        therapist.client_messages_read,
        name="client_messages_read",
    ),
    path(
        "clients/<int:client_id>/messages/settings/",
        therapist.client_messaging,
        name="client_messaging",
    ),
    path("messages/<int:message_id>/read/", therapist.message_read, name="message_read"),
    # --- the client's portal ---
    path("portal/messages/", portal.inbox, name="portal_messages"),
    path("portal/messages/new/", portal.compose, name="portal_compose"),
    path("portal/messages/<int:message_id>/", portal.message, name="portal_message"),
]
