"""The outcomes page and its CSV: who sees what, counts beside rates, suppression, audit,
formula-safe CSV, and a query count that does not grow with the number of therapists."""

from __future__ import annotations

import base64
import json
from datetime import date
from io import StringIO
from typing import Any
from xml.etree import ElementTree

import time_machine
from django.core.management import call_command
from django.urls import reverse

from continuum.accounts.models import Role
from continuum.audit.models import AuditEvent
from continuum.outcomes import services
from continuum.outcomes.exports import safe_cell
from continuum.outcomes.queries import Cell
from continuum.outcomes.tests.world import finished_episode
from continuum.testing.base import BaseTestCase, make_portal_user, make_staff

URL = reverse("outcomes:page")
YEAR = "?period=year&on=2026-06-01&instrument=phq9_gad7&by=therapist"


@time_machine.travel("2026-07-01 12:00Z", tick=False)
class OutcomesPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        for i in range(6):  # Alice: 6 finished, 4 recovered of 6 at caseness
            finished_episode(cls.alice, phq9=(18, 4 if i < 4 else 16), end=date(2026, 2, 1 + i))
        for _ in range(2):  # Bob: 2 finished (suppressed)
            finished_episode(cls.bob, phq9=(12, 3), end=date(2026, 5, 1))
        finished_episode(cls.charlie, phq9=(18, 2))  # another practice
        services.backfill()

    def test_it_requires_login(self) -> None:
        response = self.client.get(URL)
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_the_owner_sees_every_therapist_with_counts_and_intervals(self) -> None:
        self.login(self.olivia)
        response = self.client.get(URL + YEAR)
        self.assertContains(response, "Outcomes of Riverside Therapy")
        body = response.content.decode()
        # The practice: 8 finished, 6 recovered of 8 at caseness.
        assert "6 of 8" in body
        assert "75% (41%" in body
        assert "Alice Adams" in body
        assert "Bob Brown" in body
        assert "suppressed" in body  # Bob's 2 episodes
        assert "Started at caseness (PHQ-9 ≥ 10 or GAD-7 ≥ 8) and ended below both" in body
        assert "Charlie" not in body
        event = AuditEvent.objects.get(action="outcomes.read")
        assert event.actor_id == self.olivia.pk
        assert event.detail["scope"] == "practice"

    def test_a_therapist_sees_their_own_clients_beside_the_practice(self) -> None:
        self.login(self.alice)
        response = self.client.get(URL + YEAR)
        body = response.content.decode()
        assert "Your clients" in body
        assert "The practice" in body
        assert "Bob Brown" not in body  # others are not named in the tables (the funnel: below)
        table = response.context["groups"]
        assert [row["label"] for row in table] == ["Alice Adams"]

    def test_the_funnel_names_only_the_therapists_own_point(self) -> None:
        for _ in range(4):  # Bob: 6 finished, 5 of 6 recovered, so his point is plotted too
            finished_episode(self.bob, phq9=(12, 3), end=date(2026, 5, 2))
        finished_episode(self.bob, phq9=(12, 11), end=date(2026, 5, 3))
        services.backfill()
        # Alice sees two points, her own labelled "You" and drawn as hers, Bob's unnamed.
        self.login(self.alice)
        points = _funnel_points(self.client.get(URL + YEAR).context["funnel_src"])
        assert sorted(points.values()) == [("", False), ("You", True)]
        # The owner sees both, named.
        self.login(self.olivia)
        points = _funnel_points(self.client.get(URL + YEAR).context["funnel_src"])
        assert sorted(points.values()) == [("Alice Adams", False), ("Bob Brown", False)]

    def test_a_clinical_lead_sees_every_therapist(self) -> None:
        lead = make_staff(self.riverside, "lee@example.org", "Lee Lead", role=Role.CLINICAL_LEAD)
        self.login(lead)
        body = self.client.get(URL + YEAR).content.decode()
        assert "Alice Adams" in body
        assert "Bob Brown" in body
        assert "Your clients" not in body

    def test_the_owner_makes_a_therapist_a_clinical_lead_and_back(self) -> None:
        role_url = reverse("accounts:set_role", args=[self.bob.membership.pk])
        self.login(self.olivia)
        members = self.client.get(reverse("accounts:members"))
        self.assertContains(members, "Make clinical lead")
        response = self.client.post(role_url, {"lead": "1"}, follow=True)
        self.assertContains(response, "Bob Brown is a clinical lead")
        self.bob.membership.refresh_from_db()
        assert self.bob.membership.role == Role.CLINICAL_LEAD
        event = AuditEvent.objects.get(action="member.role")
        assert event.detail == {"user_id": self.bob.pk, "role": "clinical_lead"}
        # Bob now sees every therapist's outcomes, as the owner does.
        self.login(self.bob)
        body = self.client.get(URL + YEAR).content.decode()
        assert "Alice Adams" in body
        assert "Your clients" not in body
        # And back: a therapist again, one more audit row.
        self.login(self.olivia)
        self.client.post(role_url, {"lead": "0"})
        self.bob.membership.refresh_from_db()
        assert self.bob.membership.role == Role.THERAPIST
        assert AuditEvent.objects.filter(action="member.role").count() == 2

    def test_an_owner_is_not_made_a_lead_and_others_cannot_change_roles(self) -> None:
        self.login(self.olivia)
        response = self.client.post(
            reverse("accounts:set_role", args=[self.olivia.membership.pk]),
            {"lead": "1"},
            follow=True,
        )
        self.assertContains(response, "An owner already sees the outcomes of every therapist.")
        self.olivia.membership.refresh_from_db()
        assert self.olivia.membership.role == Role.OWNER
        # A therapist cannot make themselves a lead; another practice's owner gets a 404.
        self.login(self.alice)
        url = reverse("accounts:set_role", args=[self.alice.membership.pk])
        assert self.client.post(url, {"lead": "1"}).status_code in (403, 404)
        self.alice.membership.refresh_from_db()
        assert self.alice.membership.role == Role.THERAPIST
        assert not AuditEvent.objects.filter(action="member.role").exists()

    def test_outsiders_get_404(self) -> None:
        self.login(make_portal_user(self.dana))
        assert self.client.get(URL).status_code == 404
        assert self.client.get(reverse("outcomes:csv") + "?table=overall").status_code == 404
        admin = make_staff(self.riverside, "ada@example.org", "Ada Admin", clinical=False)
        self.login(admin)
        assert self.client.get(URL).status_code == 404

    def test_bad_filters_re_render_with_the_error(self) -> None:
        self.login(self.olivia)
        response = self.client.get(URL + "?period=custom&start=2026-05-01&end=2026-04-01")
        self.assertContains(response, "The end date is before the start date.", status_code=400)
        response = self.client.get(URL + "?by=nonsense")
        assert response.status_code == 400

    def test_periods_filter_by_end_date(self) -> None:
        self.login(self.olivia)
        response = self.client.get(URL + "?period=month&on=2026-05-10&by=therapist")
        cell = response.context["overall_cell"]
        assert cell.finished == 2
        assert cell.suppressed
        response = self.client.get(
            URL + "?period=custom&start=2026-02-01&end=2026-02-03&by=quarter"
        )
        assert response.context["overall_cell"].finished == 3

    def test_previous_and_next_period_links_keep_the_other_filters(self) -> None:
        self.login(self.olivia)
        page = self.client.get(URL + "?period=quarter&on=2026-02-10&instrument=phq9&by=band")
        previous, following = page.context["previous_period"], page.context["next_period"]
        self.assertEqual(previous.text, "Previous quarter: Q4 2025")
        self.assertEqual(following.text, "Next quarter: Q2 2026")
        self.assertContains(page, "Next quarter: Q2 2026")
        # Following the link shows that period with the same instrument and breakdown.
        page = self.client.get(URL + "?" + following.query)
        self.assertEqual(
            (page.context["params"]["start"], page.context["params"]["end"]),
            (date(2026, 4, 1), date(2026, 6, 30)),
        )
        self.assertEqual(page.context["params"]["instrument"], "phq9")
        self.assertEqual(page.context["params"]["by"], "band")
        # No "next" beyond the period that holds today (1 July 2026).
        page = self.client.get(URL + "?" + page.context["next_period"].query)
        self.assertEqual(page.context["params"]["start"], date(2026, 7, 1))
        self.assertIsNone(page.context["next_period"])
        self.assertContains(page, "Previous quarter: Q2 2026")
        # Months and years too; the default page is this year.
        page = self.client.get(URL + "?period=month&on=2026-01-15&by=therapist")
        self.assertEqual(page.context["previous_period"].text, "Previous month: December 2025")
        self.assertIn("on=2025-12-01", page.context["previous_period"].query)
        page = self.client.get(URL)
        self.assertEqual(page.context["previous_period"].text, "Previous year: 2025")
        self.assertIsNone(page.context["next_period"])
        page = self.client.get(URL + "?" + page.context["previous_period"].query)
        self.assertEqual(page.context["overall_cell"].finished, 0)  # nothing ended in 2025
        # A custom range has no previous or next.
        page = self.client.get(URL + "?period=custom&start=2026-02-01&end=2026-02-03")
        self.assertIsNone(page.context["previous_period"])
        self.assertNotContains(page, "Previous ")

    def test_the_page_agrees_with_the_command(self) -> None:
        # The command, run, prints the figures the page shows for the same period and grouping
        # (test_stored compares them for more instruments and with the scoring engine).
        self.login(self.olivia)
        response = self.client.get(URL + YEAR)
        printed = _report("--from=2026-01-01", "--to=2026-12-31", "--by=therapist")
        assert printed["overall"] == _json(response.context["overall_cell"])
        assert printed["groups"] == [_json(r["cell"]) for r in response.context["groups"]]
        assert [g["name"] for g in printed["groups"]] == ["Alice Adams", "Bob Brown"]
        assert (printed["overall"]["recovered"], printed["overall"]["at_caseness"]) == (6, 8)
        assert "6 of 8" in response.content.decode()

    def test_the_query_count_does_not_grow_with_therapists(self) -> None:
        self.login(self.olivia)
        self.client.get(URL + YEAR)
        # 1 session, 2 user, 3 membership, 4 practice, 5 one pass over the rows for every
        # table (overall, by therapist, the funnel's points, the trend), 6 the therapists'
        # names, 7 the audit row
        with self.assertNumQueries(QUERIES):
            self.client.get(URL + YEAR)
        for n in range(4):
            other = make_staff(self.riverside, f"t{n}@example.org", f"T{n}")
            finished_episode(other, phq9=(18, 4), end=date(2026, 3, 3))
        services.backfill()
        with self.assertNumQueries(QUERIES):
            self.client.get(URL + YEAR)

    def test_other_breakdowns_cost_one_query_more(self) -> None:
        self.login(self.olivia)
        url = URL + YEAR.replace("by=therapist", "by=referral")
        self.client.get(url)
        # as by therapist, and the counts by referral in the period (the pass is unchanged)
        with self.assertNumQueries(QUERIES + 1):
            self.client.get(url)
        for n in range(3):
            other = make_staff(self.riverside, f"r{n}@example.org", f"R{n}")
            finished_episode(other, phq9=(18, 4), end=date(2026, 3, 3))
        services.backfill()
        with self.assertNumQueries(QUERIES + 1):
            response = self.client.get(url)
        printed = _report("--from=2026-01-01", "--to=2026-12-31", "--by=referral")
        assert printed["overall"] == _json(response.context["overall_cell"])
        assert printed["groups"] == [_json(r["cell"]) for r in response.context["groups"]]

    def test_a_therapists_page_has_a_fixed_query_count_too(self) -> None:
        self.login(self.alice)
        self.client.get(URL + YEAR)
        # 1 session, 2 user, 3 membership, 4 practice, 5 one pass over the rows (the
        # practice's figures, Alice's own and her breakdown, the funnel, the trend),
        # 6 the therapists' names, 7 the audit row
        with self.assertNumQueries(7):
            self.client.get(URL + YEAR)
        for n in range(3):
            other = make_staff(self.riverside, f"u{n}@example.org", f"U{n}")
            finished_episode(other, phq9=(18, 4), end=date(2026, 3, 3))
        services.backfill()
        with self.assertNumQueries(7):
            self.client.get(URL + YEAR)

    def test_csv_of_every_table_is_audited_and_formula_safe(self) -> None:
        self.login(self.olivia)
        for table in ("overall", "groups", "funnel", "trend"):
            response = self.client.get(reverse("outcomes:csv") + YEAR + f"&table={table}")
            assert response.status_code == 200
            assert response["Content-Type"].startswith("text/csv")
            text = response.content.decode()
            assert text.startswith("group,note,finished,paired")
        groups = self.client.get(reverse("outcomes:csv") + YEAR + "&table=groups").content
        assert b"Alice Adams,,6,6,6,4" in groups
        assert b"Bob Brown,suppressed" in groups
        assert AuditEvent.objects.filter(action="outcomes.export").count() == 5
        assert self.client.get(reverse("outcomes:csv") + "?table=nope").status_code == 404

    def test_a_therapist_csv_names_nobody_else(self) -> None:
        self.login(self.alice)
        funnel = self.client.get(reverse("outcomes:csv") + YEAR + "&table=funnel").content
        assert b"Bob" not in funnel
        assert b"You," in funnel


QUERIES = 7
SVG = "{http://www.w3.org/2000/svg}"


def _funnel_points(src: str) -> dict[tuple[str, str], tuple[str, bool]]:
    """The funnel's therapist points, decoded from the page's data: URI: each point's place
    → (the label drawn beside it, "" for none; whether it is drawn as the viewer's own)."""
    prefix = "data:image/svg+xml;base64,"
    assert src.startswith(prefix)
    svg = ElementTree.fromstring(base64.b64decode(src.removeprefix(prefix)))  # noqa: S314
    points = {}
    for circle in svg.iter(f"{SVG}circle"):
        points[(circle.get("cx", ""), circle.get("cy", ""))] = ("", circle.get("r") == "6")
    for text in svg.iter(f"{SVG}text"):
        # A point's label sits 8 above it, 8 to its right (or left, near the edge).
        x, y = float(text.get("x", 0)), float(text.get("y", 0))
        for (cx, cy), (_label, own) in points.items():
            if abs(abs(float(cx) - x) - 8) < 0.01 and abs(float(cy) - y - 8) < 0.01:
                points[(cx, cy)] = (text.text or "", own)
    return points


def _report(*args: str) -> dict[str, Any]:
    """What `manage.py outcomes_report --practice "Riverside Therapy" ... --json` prints."""
    out = StringIO()
    call_command("outcomes_report", "--practice=Riverside Therapy", *args, "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def _json(cell: Cell) -> Any:
    """A cell as the command's JSON gives it."""
    return json.loads(json.dumps(cell.as_dict()))


def test_formula_cells_are_neutralised() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert safe_cell("GP referral") == "GP referral"
    assert safe_cell(None) == ""
