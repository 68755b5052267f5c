"""Reflection pages: the client's list (filters, paging), writing, reading, editing."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import override_settings
from django.utils.html import escape

from continuum.audit.models import AuditEvent
from continuum.reflections.models import TEXT_MAX_LENGTH, Reflection, ReflectionKind
from continuum.reflections.tests.world import (
    NOW,
    ReflectionTestCase,
    create_url,
    detail_url,
    edit_url,
    list_url,
    make_reflection,
)
from continuum.testing.base import make_client

XSS = '<script>alert("x")</script>'


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {"kind": ReflectionKind.IDEA, "text": "Try a values card sort"}
    data.update(overrides)
    return data


class ClientReflectionsListTests(ReflectionTestCase):
    def test_it_requires_login(self) -> None:
        self.assert_login_required(list_url(self.dana))

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        make_reflection(self.dana)
        self.assert_outsiders_get_404(list_url(self.dana))

    def test_it_is_a_404_for_a_client_that_does_not_exist(self) -> None:
        self.login(self.alice)
        response = self.client.get("/clients/999999/reflections/")
        self.assertEqual(response.status_code, 404)

    def test_it_shows_the_authors_reflections_newest_first(self) -> None:
        older = make_reflection(self.dana, "First thought about sleep")
        with time_machine.travel(NOW + timedelta(hours=1), tick=False):
            newer = make_reflection(self.dana, "Second thought about work", kind="breakthrough")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana))
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertLess(body.index("Second thought about work"), body.index("First thought"))
        self.assertContains(response, "Breakthrough")
        self.assertContains(response, "2 reflections.")
        self.assertContains(response, detail_url(newer))
        self.assertContains(response, detail_url(older))
        # The page also offers the form to write one.
        self.assertContains(response, f'action="{create_url(self.dana)}"')

    def test_it_records_one_audit_row_with_ids_only(self) -> None:
        reflection = make_reflection(self.dana, "Mentioned a sister called Ruth")
        self.login(self.alice)
        self.client.get(list_url(self.dana) + "?kind=concern&show=all")
        event = AuditEvent.objects.get(action="reflection.list")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual((event.object_type, event.object_id), ("client", str(self.dana.pk)))
        self.assertEqual(event.detail, {"page": 1, "reflections": [reflection.pk]})

    def test_it_never_shows_another_authors_reflections_about_the_same_client(self) -> None:
        # Bob treated Dana before; what he wrote stays his.
        make_reflection(self.dana, "Bob's private worry", author=self.bob)
        other_client = make_client(self.alice, "Gail", "Grant")
        make_reflection(other_client, "About someone else entirely")
        mine = make_reflection(self.dana, "A thought of Alice")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana))
        self.assertContains(response, "A thought of Alice")
        self.assertNotContains(response, "private worry")
        self.assertNotContains(response, "someone else entirely")
        self.assertContains(response, "1 reflection.")
        self.assertContains(response, detail_url(mine))

    def test_it_filters_by_kind(self) -> None:
        make_reflection(self.dana, "A worry", kind=ReflectionKind.CONCERN)
        make_reflection(self.dana, "Noticed my own impatience", kind="self_reflection")
        self.login(self.alice)
        response = self.client.get(list_url(self.dana) + "?kind=self_reflection")
        self.assertContains(response, "Noticed my own impatience")
        self.assertNotContains(response, "A worry")
        self.assertContains(response, "1 reflection matches.")

    def test_it_answers_400_to_a_kind_outside_the_allow_list(self) -> None:
        make_reflection(self.dana, "A worry")
        self.login(self.alice)
        for bad in ("secret", "concern' OR 1=1 --", "text"):
            with self.subTest(kind=bad):
                response = self.client.get(list_url(self.dana), {"kind": bad})
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, "is not a kind of reflection", status_code=400)
                self.assertNotContains(response, "A worry", status_code=400)
        self.assertFalse(AuditEvent.objects.filter(action="reflection.list").exists())

    def test_it_answers_400_to_an_unknown_show_value(self) -> None:
        self.login(self.alice)
        response = self.client.get(list_url(self.dana), {"show": "-created_at"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "is not one of the choices", status_code=400)

    def test_it_filters_what_to_bring_and_what_was_addressed(self) -> None:
        make_reflection(self.dana, "Ask about the new job", bring_to_next_session=True)
        make_reflection(self.dana, "Just a note to self")
        make_reflection(
            self.dana,
            "Raised the holiday plans",
            bring_to_next_session=True,
            addressed_at=NOW,
            addressed_in=self.attended,
        )
        self.login(self.alice)
        to_bring = self.client.get(list_url(self.dana) + "?show=to_bring")
        self.assertContains(to_bring, "Ask about the new job")
        self.assertNotContains(to_bring, "Just a note to self")
        self.assertNotContains(to_bring, "Raised the holiday plans")
        addressed = self.client.get(list_url(self.dana) + "?show=addressed")
        self.assertContains(addressed, "Raised the holiday plans")
        self.assertContains(addressed, "Addressed 8 Jul 2026")
        self.assertNotContains(addressed, "Ask about the new job")

    @override_settings(REFLECTIONS_PAGE_SIZE=2)
    def test_it_pages(self) -> None:
        for i in range(5):
            with time_machine.travel(NOW + timedelta(minutes=i), tick=False):
                make_reflection(self.dana, f"Thought number {i}")
        self.login(self.alice)
        first = self.client.get(list_url(self.dana))
        self.assertContains(first, "Thought number 4")
        self.assertNotContains(first, "Thought number 2")
        self.assertContains(first, "Page 1 of 3")
        last = self.client.get(list_url(self.dana) + "?page=3")
        self.assertContains(last, "Thought number 0")
        self.assertNotContains(last, "Thought number 1")
        # A page past the end shows the last page, never an error.
        self.assertEqual(self.client.get(list_url(self.dana) + "?page=99").status_code, 200)

    def _count_list_queries(self) -> None:
        # 1 session, 2 user, 3 membership, 4 the client (access check), 5 count for the
        # paginator, 6 the page of reflections with their appointments (one join), 7 the audit
        # row, 8 the client's appointments for the "write a reflection" form.
        with self.assertNumQueries(8):
            response = self.client.get(list_url(self.dana))
        self.assertEqual(response.status_code, 200)

    @override_settings(REFLECTIONS_PAGE_SIZE=5)
    def test_its_query_count_does_not_grow_with_history(self) -> None:
        self.login(self.alice)
        make_reflection(self.dana, "Only one", appointment=self.attended)
        self._count_list_queries()
        for i in range(40):
            make_reflection(
                self.dana,
                f"More {i}",
                appointment=self.earlier,
                addressed_at=NOW,
                addressed_in=self.attended,
            )
        self._count_list_queries()


class CreateReflectionTests(ReflectionTestCase):
    def test_it_requires_login(self) -> None:
        self.assert_login_required(create_url(self.dana))

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        self.assert_outsiders_get_404(create_url(self.dana), form_data())
        self.assertEqual(Reflection.objects.count(), 0)

    def test_it_shows_the_form_with_the_clients_sessions_only(self) -> None:
        self.login(self.alice)
        response = self.client.get(create_url(self.dana))
        self.assertContains(response, "Write a reflection")
        self.assertContains(response, '<label for="id_text">Reflection')
        self.assertContains(response, "Idea or technique to try")
        self.assertContains(response, "Self-reflection on my own reactions")
        self.assertContains(response, f'value="{self.attended.pk}"')
        # Times in the therapist's zone (London, summer time).
        self.assertContains(response, "Wed 1 Jul 2026, 11:00 (Attended)")
        self.assertNotContains(response, f'value="{self.finn_session.pk}"')

    def test_it_saves_a_reflection(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            create_url(self.dana),
            form_data(
                kind="question",
                text="Ask how the first week back at work went",
                appointment=self.attended.pk,
                bring_to_next_session="on",
            ),
        )
        self.assertRedirects(response, list_url(self.dana), fetch_redirect_response=False)
        reflection = Reflection.objects.get()
        self.assertEqual(reflection.author, self.alice)
        self.assertEqual(reflection.client, self.dana)
        self.assertEqual(reflection.kind, "question")
        self.assertEqual(reflection.text, "Ask how the first week back at work went")
        self.assertEqual(reflection.appointment, self.attended)
        self.assertTrue(reflection.bring_to_next_session)
        self.assertIsNone(reflection.addressed_at)
        self.assertEqual(reflection.created_at, NOW)
        event = AuditEvent.objects.get(action="reflection.create")
        self.assertEqual(event.object_id, str(reflection.pk))
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "appointment": self.attended.pk})
        page = self.client.get(list_url(self.dana))
        self.assertContains(page, "Reflection saved. Only you can read it.")
        self.assertContains(page, "To bring to the next session")

    def test_it_accepts_exactly_the_maximum_length(self) -> None:
        self.login(self.alice)
        self.client.post(create_url(self.dana), form_data(text="x" * TEXT_MAX_LENGTH))
        self.assertEqual(len(Reflection.objects.get().text), TEXT_MAX_LENGTH)

    def test_bad_input_is_explained_and_nothing_is_stored(self) -> None:
        self.login(self.alice)
        cases = {
            "empty": (form_data(text=""), "Write the reflection before saving it."),
            "blank": (form_data(text="   \n  "), "Write the reflection before saving it."),
            "too long": (
                form_data(text="x" * (TEXT_MAX_LENGTH + 1)),
                "Keep this to 10,000 characters or fewer (it has 10001).",
            ),
            "no kind": (form_data(kind=""), "Choose what kind of reflection this is."),
            "bad kind": (form_data(kind="gossip"), "Choose one of the kinds in the list."),
            "other client's session": (
                form_data(appointment=self.finn_session.pk),
                "Choose one of this client&#x27;s sessions, or none.",
            ),
            "no such session": (
                form_data(appointment=999999),
                "Choose one of this client&#x27;s sessions, or none.",
            ),
        }
        for name, (data, message) in cases.items():
            with self.subTest(name):
                response = self.client.post(create_url(self.dana), data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
                self.assertContains(response, "Please correct the errors below.")
        self.assertEqual(Reflection.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(action="reflection.create").exists())

    def test_with_htmx_errors_come_back_as_the_form_alone(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            create_url(self.dana), form_data(text=""), headers={"HX-Request": "true"}
        )
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        self.assertTrue(body.lstrip().startswith('<form method="post"'))
        self.assertNotIn("<html", body)
        self.assertIn("Write the reflection before saving it.", body)
        self.assertEqual(Reflection.objects.count(), 0)

    def test_with_htmx_success_sends_the_browser_to_the_list(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            create_url(self.dana), form_data(), headers={"HX-Request": "true"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["HX-Redirect"], list_url(self.dana))
        self.assertEqual(Reflection.objects.count(), 1)

    def test_text_is_escaped(self) -> None:
        self.login(self.alice)
        self.client.post(create_url(self.dana), form_data(text=XSS))
        reflection = Reflection.objects.get()
        for url in (list_url(self.dana), detail_url(reflection), edit_url(reflection)):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertNotContains(response, XSS)
                self.assertContains(response, escape(XSS))


class DetailTests(ReflectionTestCase):
    def test_it_requires_login(self) -> None:
        self.assert_login_required(detail_url(make_reflection(self.dana)))

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        self.assert_outsiders_get_404(detail_url(make_reflection(self.dana)))

    def test_it_shows_the_reflection_and_audits_the_read(self) -> None:
        reflection = make_reflection(
            self.dana,
            "Wondered whether I was pushing too hard",
            kind="self_reflection",
            appointment=self.attended,
            bring_to_next_session=True,
        )
        self.login(self.alice)
        response = self.client.get(detail_url(reflection))
        self.assertContains(response, "<h1>Self-reflection on my own reactions</h1>", html=True)
        self.assertContains(response, "Wondered whether I was pushing too hard")
        self.assertContains(response, "Wednesday 8 July 2026, 13:00")
        self.assertContains(response, "1 Jul 2026, 11:00")
        self.assertContains(response, "Not yet")
        event = AuditEvent.objects.get(action="reflection.view")
        self.assertEqual((event.object_type, event.object_id), ("reflection", str(reflection.pk)))
        self.assertEqual(event.detail, {"client_id": self.dana.pk})

    def test_post_is_not_allowed_for_the_author(self) -> None:
        self.login(self.alice)
        response = self.client.post(detail_url(make_reflection(self.dana)))
        self.assertEqual(response.status_code, 405)


class EditTests(ReflectionTestCase):
    def test_it_requires_login(self) -> None:
        self.assert_login_required(edit_url(make_reflection(self.dana)))

    def test_it_rejects_other_therapists_and_the_owner(self) -> None:
        reflection = make_reflection(self.dana, "Original")
        self.assert_outsiders_get_404(edit_url(reflection), form_data(text="Changed"))
        reflection.refresh_from_db()
        self.assertEqual(reflection.text, "Original")

    def test_the_form_is_filled_in_and_the_read_is_audited(self) -> None:
        reflection = make_reflection(self.dana, "Original text", appointment=self.attended)
        self.login(self.alice)
        response = self.client.get(edit_url(reflection))
        self.assertContains(response, "Original text</textarea>")
        self.assertContains(response, f'<option value="{self.attended.pk}" selected>')
        event = AuditEvent.objects.get(action="reflection.view")
        self.assertEqual(event.detail, {"client_id": self.dana.pk, "page": "edit"})

    def test_it_saves_changes_and_names_the_changed_fields_only(self) -> None:
        reflection = make_reflection(self.dana, "Original text")
        self.login(self.alice)
        with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
            response = self.client.post(
                edit_url(reflection),
                form_data(kind="concern", text="Rewritten text", bring_to_next_session="on"),
            )
        self.assertRedirects(response, detail_url(reflection))
        reflection.refresh_from_db()
        self.assertEqual(reflection.text, "Rewritten text")
        self.assertTrue(reflection.bring_to_next_session)
        self.assertEqual(reflection.updated_at, NOW + timedelta(minutes=5))
        self.assertEqual(reflection.created_at, NOW)
        event = AuditEvent.objects.get(action="reflection.update")
        self.assertEqual(
            event.detail, {"client_id": self.dana.pk, "fields": ["text", "bring_to_next_session"]}
        )

    def test_bad_input_changes_nothing(self) -> None:
        reflection = make_reflection(self.dana, "Original text", appointment=self.attended)
        self.login(self.alice)
        for data in (
            form_data(text=""),
            form_data(text="y" * (TEXT_MAX_LENGTH + 1)),
            form_data(text="Changed", appointment=self.finn_session.pk),
        ):
            with self.subTest(data=str(data)[:60]):
                response = self.client.post(edit_url(reflection), data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'class="error"')
        reflection.refresh_from_db()
        self.assertEqual(reflection.text, "Original text")
        self.assertEqual(reflection.appointment, self.attended)
        self.assertFalse(AuditEvent.objects.filter(action="reflection.update").exists())
