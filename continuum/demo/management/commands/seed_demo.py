"""`manage.py seed_demo`: load the fictional demo practice, or a larger one for benchmarks."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from continuum.demo import builder, content
from continuum.reflections.models import ReflectionKind

# Past clients in the default demo: with the clients in care, about 30 to 50 finished episodes
# per therapist, so the outcomes page shows rates, the funnel and the trend (cells under 5 are
# suppressed).
DISCHARGED = 100


def parse_now(value: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is read as Europe/London time."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--now must be an ISO 8601 date or date and time, such as 2026-03-04T10:00+00:00 "
            f"(got {value!r})"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=builder.LONDON)
    return parsed.astimezone(UTC)


def logins_line(with_client: bool) -> str:
    line = f"Logins: {content.LOGINS_LINE}"
    return f"{line}; {content.CLIENT_LOGIN_LINE}" if with_client else line


class Command(BaseCommand):
    help = (
        f"Create the demo practice “{content.PRACTICE_NAME}” (Europe/London) with fictional "
        "clients, episodes, appointments, signed progress notes and questionnaire scores "
        "(PHQ-9, GAD-7 and more, with the alerts they raised), and what happens between "
        "sessions: treatment plans, homework, the therapist's private reflections, portal "
        "logins and check-ins, clients who drift, the demo therapist's session weights. "
        f"Logins: {content.LOGINS_LINE}; {content.CLIENT_LOGIN_LINE}. If the demo practice "
        "already exists the command says so and "
        "changes nothing; --reset deletes it first, but only while no audit row refers to it "
        "or its staff (audit rows are never deleted, so once anyone has used the demo, rebuild "
        "it in a fresh database). The same --seed and --now always give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--therapists",
            type=int,
            default=3,
            help="therapists in the practice, at least 3 (the first three are the demo logins)",
        )
        parser.add_argument(
            "--clients", type=int, default=40, help="clients, spread across the therapists"
        )
        parser.add_argument(
            "--discharged",
            type=int,
            default=DISCHARGED,
            help="past clients whose therapy ended in the last eighteen months and was closed, "
            f"spread like the clients (default {DISCHARGED}: the outcomes page's finished "
            "episodes)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--now",
            help="the moment the generated history ends, ISO 8601 (default: the current hour); "
            "a time without an offset is Europe/London time",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete an existing demo practice first (refused once it has audit history)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        therapists: int = options["therapists"]
        clients: int = options["clients"]
        if therapists < 3:
            raise CommandError("--therapists must be at least 3 (the three demo logins)")
        if clients < 0 or options["discharged"] < 0:
            raise CommandError("--clients and --discharged cannot be negative")
        now = parse_now(options["now"]) if options["now"] else builder.default_now()
        started = time.perf_counter()
        with transaction.atomic():
            if builder.demo_exists():
                if not options["reset"]:
                    self.stdout.write(
                        f"The demo practice “{content.PRACTICE_NAME}” already exists; nothing "
                        "was changed. Use --reset to rebuild it, or a fresh database."
                    )
                    self.stdout.write(logins_line(builder.client_login_exists()))
                    return
                try:
                    builder.delete_demo()
                except builder.DemoInUse as exc:
                    raise CommandError(f"Cannot reset the demo: {exc}.") from None
                self.stdout.write("Deleted the existing demo practice.")
            result = builder.build_demo(
                builder.DemoOptions(
                    therapists=therapists,
                    clients=clients,
                    discharged=options["discharged"],
                    seed=options["seed"],
                    now=now,
                )
            )
        elapsed = time.perf_counter() - started
        self._report(result, options["seed"], now, elapsed)

    def _report(self, result: builder.DemoResult, seed: int, now: datetime, elapsed: float) -> None:
        c = result.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Created “{result.practice.name}” in {elapsed:.1f} s "
                f"(seed {seed}, history up to {now:%Y-%m-%d %H:%M} UTC):"
            )
        )
        self.stdout.write(
            f"  {c['staff']:,} therapists, {c['clients'] - c['clients.discharged']:,} clients "
            f"in care and {c['clients.discharged']:,} discharged, {c['episodes']:,} episodes "
            f"({c['outcomes']:,} stored outcomes of finished ones)"
        )
        self.stdout.write(
            f"  {c['appointments']:,} appointments: {c['appointments.attended']:,} attended, "
            f"{c['appointments.cancelled']:,} cancelled, {c['appointments.no_show']:,} no-show, "
            f"{c['appointments.scheduled']:,} scheduled"
        )
        self.stdout.write(
            f"  {c['notes']:,} progress notes ({c['notes.signed']:,} signed, "
            f"{c['notes.draft']:,} drafts; SOAP {c['notes.soap']:,}, DAP {c['notes.dap']:,}, "
            f"BIRP {c['notes.birp']:,}), {c['addenda']:,} addenda"
        )
        self.stdout.write(
            f"  {c['assignments']:,} measures assigned; {c['administrations']:,} questionnaires: "
            f"{c['administrations.completed']:,} completed, {c['administrations.pending']:,} "
            f"pending ({c['administrations.overdue']:,} overdue), "
            f"{c['administrations.expired']:,} expired or withdrawn"
        )
        self.stdout.write(
            f"  {c['alerts']:,} alerts: {c['alerts.safety']:,} safety "
            f"({c['alerts.safety.open'] + c['alerts.safety.acknowledged']:,} still open), "
            f"{c['alerts.deterioration']:,} reliable deterioration, "
            f"{c['alerts.not_on_track']:,} not on track, {c['alerts.overdue']:,} overdue; "
            f"{c['alerts.open']:,} open, {c['alerts.acknowledged']:,} acknowledged, "
            f"{c['alerts.resolved']:,} resolved"
        )
        c_reflections = sum(c[f"reflections.{kind}"] for kind in ReflectionKind.values)
        self.stdout.write(
            f"  {c['plans']:,} treatment plan versions ({c['plans.superseded']:,} superseded, "
            f"{c['plans.review_due']:,} due for review): {c['goals']:,} goals "
            f"({c['goal_ratings.completed']:,} goal ratings answered), "
            f"{c['interventions']:,} interventions ({c['interventions.versions']:,} adapted "
            f"into a new version), {c['reviews']:,} reviews"
        )
        self.stdout.write(
            f"  {c['homework']:,} homework tasks: {c['homework.done']:,} done, "
            f"{c['homework.partly']:,} partly, {c['homework.not_done']:,} not done, "
            f"{c['homework.assigned']:,} open ({c['homework.overdue']:,} overdue), "
            f"{c['homework.cancelled']:,} cancelled"
        )
        self.stdout.write(
            f"  {c_reflections:,} private reflections ({c['reflections.to_bring']:,} to bring to "
            f"the next session, {c['reflections.addressed']:,} addressed)"
        )
        self.stdout.write(
            f"  {c['portal_logins']:,} portal logins ({c['portal_logins.pending']:,} invited, "
            f"no password yet), {c['checkins']:,} check-ins ({c['checkins.urgent']:,} urgent, "
            f"{c['checkins.unseen']:,} not yet seen); {c['clients.drifting']:,} clients "
            "drifting (no session for weeks, nothing booked)"
        )
        if c["wellbeing.session_weights"]:
            self.stdout.write(
                f"  {c['wellbeing.session_weights']:,} session weights for "
                "therapist@example.org (12 weeks, heavier on Thursdays)"
            )
        self.stdout.write(logins_line(result.client_login is not None))
        from continuum.accounts.mfa import DEMO_TOTP_SECRET, current_code

        self.stdout.write(
            f"Second factor for the staff logins (demo data only): TOTP secret "
            f"{DEMO_TOTP_SECRET}; add it to any authenticator app (code now: {current_code()})"
        )
        extra = result.staff_emails[3:]
        if extra:
            self.stdout.write(
                f"Other therapists: {extra[0]} to {extra[-1]} (same password)"
                if len(extra) > 1
                else f"Other therapist: {extra[0]} (same password)"
            )
