from __future__ import annotations

import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import time_machine
from django.test import override_settings

from continuum.care.models import (
    Appointment,
    AppointmentStatus,
    Episode,
    NoteStatus,
    ProgressNote,
)
from continuum.care.queries import (
    APPOINTMENT,
    EPISODE_ENDED,
    EPISODE_STARTED,
    ClientTimeline,
)
from continuum.testing.base import BaseTestCase, make_appointment, make_episode, make_note

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(day: int, month: int = 6, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
class TimelinePageTests(BaseTestCase):
    old: Episode
    current: Episode
    first: Appointment
    second: Appointment
    third: Appointment
    finn_appointment: Appointment
    signed: ProgressNote
    draft: ProgressNote

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.old = make_episode(
            cls.dana,
            status="ended",
            start_date=date(2025, 1, 6),
            end_date=date(2025, 6, 30),
            ended_unplanned=True,
        )
        cls.current = make_episode(cls.dana, status="active", start_date=date(2026, 6, 1))
        cls.first = make_appointment(
            cls.dana, at(2), episode=cls.current, status=AppointmentStatus.ATTENDED
        )
        cls.second = make_appointment(
            cls.dana, at(9), episode=cls.current, status=AppointmentStatus.NO_SHOW
        )
        cls.third = make_appointment(cls.dana, at(3, 7), episode=cls.current)
        cls.signed = make_note(cls.first, signed=True)
        ProgressNote.objects.filter(pk=cls.signed.pk).update(signed_at=at(2, hour=15))
        cls.draft = make_note(cls.second)
        # Someone else's history never shows.
        cls.finn_appointment = make_appointment(cls.finn, at(5))

    def url(self) -> str:
        return f"/clients/{self.dana.pk}/"

    def test_it_merges_the_history_newest_first(self) -> None:
        self.login(self.alice)
        content = self.client.get(self.url()).content.decode()
        timeline = content[content.index('id="timeline-heading"') :]
        # An appointment and its signed note are one item (issue 14): the note's link
        # follows its appointment's.
        markers = [
            f'href="/appointments/{self.third.pk}/"',
            f'href="/appointments/{self.second.pk}/"',
            f'href="/appointments/{self.first.pk}/"',
            f'href="/notes/{self.signed.pk}/"',
            "Episode of care started",  # the current episode, 1 June 2026
            "Episode of care ended",  # the old one, 30 June 2025
        ]
        positions = [timeline.index(marker) for marker in markers]
        self.assertEqual(positions, sorted(positions))
        self.assertEqual(timeline.count(f'href="/episodes/{self.old.pk}/"'), 2)
        self.assertEqual(timeline.count(f'href="/episodes/{self.current.pk}/"'), 1)

    def test_it_shows_what_each_item_is(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        # 09:00 UTC is 10:00 in London in summer.
        self.assertContains(response, "Fri 3 Jul 2026, 10:00")
        self.assertContains(response, '<span class="badge badge-no_show">No-show</span>')
        self.assertContains(response, '<span class="badge badge-attended">Attended</span>')
        # The note is part of its session's item, with when it was signed (16:00 London).
        item = response.content.decode().split(f'href="/appointments/{self.first.pk}/"')[1]
        item = item.split("</li>")[0]
        self.assertIn(f'<a href="/notes/{self.signed.pk}/">SOAP note</a>', item)
        self.assertIn("signed <time", item)
        self.assertIn("2 Jun 2026, 16:00", item)
        self.assertEqual(response.content.decode().count(f'href="/notes/{self.signed.pk}/"'), 1)
        self.assertContains(response, "Episode of care ended</a> (unplanned)")
        self.assertContains(response, "1 Jun 2026")
        self.assertContains(response, "30 Jun 2025")
        self.assertContains(response, "In person, 50 min")

    def test_drafts_and_other_clients_are_left_out(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertNotContains(response, f'href="/notes/{self.draft.pk}/"')
        self.assertNotContains(response, f'href="/appointments/{self.finn_appointment.pk}/"')

    @override_settings(TIMELINE_PAGE_SIZE=2)
    def test_it_pages(self) -> None:
        # Six items: three appointments (one with its note), the current episode's start and
        # the old episode's start and end.
        self.login(self.alice)
        page1 = self.client.get(self.url()).content.decode()
        self.assertIn("Page 1 of 3", page1)
        self.assertIn('href="?page=2" rel="next"', page1)
        self.assertIn(f'href="/appointments/{self.third.pk}/"', page1)
        self.assertIn(f'href="/appointments/{self.second.pk}/"', page1)
        self.assertNotIn(f'href="/notes/{self.signed.pk}/"', page1)
        page2 = self.client.get(self.url() + "?page=2").content.decode()
        self.assertIn(f'href="/notes/{self.signed.pk}/"', page2)
        self.assertIn(f'href="/appointments/{self.first.pk}/"', page2)
        self.assertNotIn(f'href="/appointments/{self.third.pk}/"', page2)
        page3 = self.client.get(self.url() + "?page=3").content.decode()
        self.assertIn("Episode of care ended", page3)
        self.assertIn(f'href="/episodes/{self.old.pk}/"', page3)
        self.assertIn('rel="prev"', page3)
        # Out-of-range or malformed page numbers still show a page.
        self.assertIn("Page 3 of 3", self.client.get(self.url() + "?page=50").content.decode())
        self.assertIn("Page 1 of 3", self.client.get(self.url() + "?page=x").content.decode())

    @override_settings(TIMELINE_PAGE_SIZE=25)
    def test_the_first_page_leads_with_the_recent_items_and_folds_the_rest(self) -> None:
        for n in range(10):
            make_appointment(self.dana, at(1, 5, hour=8 + n % 8) - timedelta(days=n))
        self.login(self.alice)
        page = self.client.get(self.url()).content.decode()
        timeline = page[page.index('id="timeline-heading"') :]
        shown, folded = timeline.split('<details class="history timeline-more">')
        # 16 items: the 5 newest shown, 11 more behind "Show 11 more" (no script needed).
        self.assertEqual(shown.count("<li>"), 5)
        self.assertIn("<summary>Show 11 more</summary>", folded)
        self.assertEqual(folded.split("</details>")[0].count("<li>"), 11)

    def test_an_empty_history_says_so(self) -> None:
        self.login(self.bob)
        response = self.client.get(f"/clients/{self.finn.pk}/")
        self.assertNotContains(response, "Nothing here yet")  # Finn has an appointment
        self.login(self.charlie)
        response = self.client.get(f"/clients/{self.eli.pk}/")
        self.assertContains(response, "Nothing here yet")


class TimelineSliceTests(BaseTestCase):
    """ClientTimeline[start:stop] equals the same slice of the whole history sorted naively."""

    def naive(self) -> list[tuple[str, int, datetime]]:
        events: list[tuple[datetime, int, int, str]] = []
        rank = {EPISODE_STARTED: 0, APPOINTMENT: 1, EPISODE_ENDED: 3}
        for e in Episode.objects.filter(client=self.dana):
            start = datetime.combine(e.start_date, time.min, tzinfo=LONDON)
            events.append((start, rank[EPISODE_STARTED], e.pk, EPISODE_STARTED))
            if e.end_date:
                end = datetime.combine(e.end_date, time.max, tzinfo=LONDON)
                events.append((end, rank[EPISODE_ENDED], e.pk, EPISODE_ENDED))
        for a in Appointment.objects.filter(client=self.dana):
            events.append((a.starts_at, rank[APPOINTMENT], a.pk, APPOINTMENT))
        events.sort(reverse=True)
        return [(kind, pk, when) for when, _, pk, kind in events]

    def signed_notes(self) -> dict[int, int]:
        """appointment id → its signed note's id."""
        return dict(
            ProgressNote.objects.filter(client=self.dana, status=NoteStatus.SIGNED).values_list(
                "appointment_id", "pk"
            )
        )

    def test_slices_match_a_naive_sort(self) -> None:
        rng = random.Random(20260701)
        # Overlapping episodes (possible through edits), one ending long after it started.
        make_episode(
            self.dana, status="closed", start_date=date(2024, 1, 1), end_date=date(2026, 5, 1)
        )
        make_episode(
            self.dana, status="ended", start_date=date(2025, 3, 1), end_date=date(2025, 4, 1)
        )
        make_episode(self.dana, status="active", start_date=date(2026, 5, 2))
        for _ in range(40):
            starts = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 22000))
            appointment = make_appointment(self.dana, starts, status=AppointmentStatus.ATTENDED)
            if rng.random() < 0.5:
                note = make_note(appointment, signed=rng.random() < 0.7)
                if note.is_signed:
                    ProgressNote.objects.filter(pk=note.pk).update(
                        signed_at=starts + timedelta(hours=rng.randrange(1, 400))
                    )
        timeline = ClientTimeline(self.dana, LONDON)
        expected = self.naive()
        self.assertEqual(timeline.count(), len(expected))
        for start, stop in [(0, 5), (0, len(expected)), (3, 9), (10, 30), (len(expected) - 4, 999)]:
            with self.subTest(start=start, stop=stop):
                items = timeline[start:stop]
                got = [(i.kind, i.object_id, i.at) for i in items]
                self.assertEqual(got, expected[start:stop])
                # Each appointment carries its signed note, and only a signed one.
                notes = self.signed_notes()
                for i in items:
                    if i.kind == APPOINTMENT:
                        self.assertEqual(i.note_id, notes.get(i.object_id))


class TimelineQueryCountTests(BaseTestCase):
    def fill(self, items: int) -> None:
        """One open episode (1 item), then appointments (one item each, half of them with a
        signed note)."""
        episode = make_episode(self.dana, status="active", start_date=date(2020, 1, 1))
        appointments = items - 1
        notes = appointments // 2
        made = Appointment.objects.bulk_create(
            Appointment(
                client=self.dana,
                therapist=self.alice,
                episode=episode,
                starts_at=datetime(2021, 1, 1, 9, tzinfo=UTC) + timedelta(days=7 * n),
                status=AppointmentStatus.ATTENDED,
            )
            for n in range(appointments)
        )
        ProgressNote.objects.bulk_create(
            ProgressNote(
                appointment=a,
                client=self.dana,
                author=self.alice,
                format="soap",
                status=NoteStatus.SIGNED,
                signed_at=a.starts_at + timedelta(hours=2),
                signed_by=self.alice,
            )
            for a in made[:notes]
        )
        self.assertEqual(ClientTimeline(self.dana, LONDON).count(), items)

    def assert_page_queries(self) -> None:
        self.login(self.alice)
        # 1. the session, 2. the user, 3. the membership (access decorator),
        # 4. the client (access helper), 5. the current episode,
        # 6. the timeline's length (one query, a COUNT subquery per source),
        # 7. the page's episodes, 8. its appointments with their notes (each sliced; the
        # notes were a third query until an appointment and its note became one item),
        # 9. INSERT of the one "client.view" audit row,
        # 10-13. the measures section: administrations, appointment markers, active
        # assignments, open alerts (measures.queries.measures_summary_for_client; a fifth
        # reads the rows its tables show, and there are none here),
        # 14-15. the homework panel: the latest tasks and the counts by status,
        # 16-17. the author's reflections panel: the latest (no text) and the count to bring.
        with self.assertNumQueries(17):
            response = self.client.get(f"/clients/{self.dana.pk}/?page=2")
        self.assertEqual(response.status_code, 200)

    def test_query_count_with_3_items(self) -> None:
        self.fill(3)
        self.assert_page_queries()

    def test_query_count_with_300_items(self) -> None:
        self.fill(300)
        self.assert_page_queries()
