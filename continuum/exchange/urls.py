from __future__ import annotations

from django.urls import path

from continuum.exchange.views import calendars, exports, imports, records

app_name = "exchange"

urlpatterns = [
    # --- calendar feeds ---
    path("me/calendar/", calendars.my_calendar, name="my_calendar"),
    path("portal/calendar/", calendars.portal_calendar, name="portal_calendar"),
    path(
        "portal/calendar/<int:appointment_id>.ics",
        calendars.portal_session_ics,
        name="portal_session_ics",
    ),
    # --- CSV downloads of what a page shows ---
    path("clients/export.csv", exports.caseload_csv, name="caseload_csv"),
    path(
        "clients/<int:client_id>/measures/scores.csv",
        exports.client_scores_csv,
        name="client_scores_csv",
    ),
    path("alerts/export.csv", exports.alerts_csv, name="alerts_csv"),
    path("practice/audit/export.csv", exports.audit_csv, name="audit_csv"),
    # --- moving a caseload in ---
    path("clients/import/", imports.import_upload, name="import_upload"),
    path("clients/import/template.csv", imports.import_template, name="import_template"),
    path("clients/import/<int:batch_id>/", imports.import_preview, name="import_preview"),
    path("clients/import/scores/", imports.scores_upload, name="scores_upload"),
    path("clients/import/scores/template.csv", imports.scores_template, name="scores_template"),
    path("clients/import/scores/<int:batch_id>/", imports.scores_preview, name="scores_preview"),
    # --- a client's own record ---
    path("portal/record/", records.portal_record, name="portal_record"),
    path(
        "portal/record/download.<str:fmt>",
        records.portal_record_download,
        name="portal_record_download",
    ),
    path(
        "clients/<int:client_id>/record-requests/",
        records.record_requests,
        name="record_requests",
    ),
    # Public: the token is the key (redacted from logs, continuum/lib/redact.py and logredact.py).
    path("calendar/<str:token>.ics", calendars.feed, name="feed"),
]
