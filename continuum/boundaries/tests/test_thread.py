"""Portal messages, the therapist's side: the thread with the reply form, marking read,
turning messages off for a client (with a reason) and on again, the day and the brief."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.boundaries import services
from continuum.boundaries.models import ClientMessaging, Direction, Message
from continuum.boundaries.queries import message_day_items, messages_since, unread_messages
from continuum.boundaries.tests.world import BoundariesTestCase, make_message
from continuum.care.models import AppointmentStatus
from continuum.lib.keys import new_idempotency_key
from continuum.testing.base import make_appointment, make_client, presented

NOW = datetime(2026, 7, 8, 10, 0, tzinfo=UTC)


def reply_data(**overrides: str) -> dict[str, str]:
    data = {
        "body": "Thank you, let's make time for that.",
        "idempotency_key": new_idempotency_key(),
    }
    data.update(overrides)
    return data


class ThreadAccessTests(BoundariesTestCase):
    def urls(self) -> list[str]:
        message = make_message(self.dana)
        return [
            f"/clients/{self.dana.pk}/messages/",
            f"/clients/{self.dana.pk}/messages/read/",
            f"/clients/{self.dana.pk}/messages/settings/",
            f"/messages/{message.pk}/read/",
        ]

    def test_it_requires_login(self) -> None:
        for url in self.urls():
            for method in ("get", "post"):
                response = getattr(self.client, method)(url)
                self.assertRedirects(
                    response, f"/accounts/login/?next={url}", fetch_redirect_response=False
                )

    def test_everyone_but_the_assigned_therapist_gets_404(self) -> None:
        urls = self.urls()
        # A colleague, the practice owner, a therapist elsewhere, and the client herself.
        for person in (self.bob, self.olivia, self.charlie, self.dana_user, self.eli_user):
            self.login(person)
            for url in urls:
                for method in ("get", "post"):
                    data = reply_data(enabled="off", reason="x") if method == "post" else {}
                    response = getattr(self.client, method)(url, data)
                    self.assertEqual(response.status_code, 404, (person.email, method, url))
        self.assertEqual(Message.objects.count(), 1)
        self.assertIsNone(Message.objects.get().read_at)
        self.assertEqual(ClientMessaging.objects.count(), 0)

    def test_get_is_not_allowed_on_the_action_routes(self) -> None:
        self.login(self.alice)
        for url in self.urls()[1:]:
            self.assertEqual(self.client.get(url).status_code, 405)


class ThreadTests(BoundariesTestCase):
    def url(self) -> str:
        return f"/clients/{self.dana.pk}/messages/"

    def test_it_shows_the_thread_newest_first_with_the_contact_rules(self) -> None:
        base = timezone.now() - timedelta(days=2)
        make_message(self.dana, body="Dana wrote first", when=base, after_hours=True)
        make_message(
            self.dana, from_client=False, body="Alice replied", when=base + timedelta(hours=1)
        )
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, 'Messages <span class="muted small">Dana Dawson</span>')
        body = response.content.decode()
        self.assertLess(body.index("Alice replied"), body.index("Dana wrote first"))
        self.assertContains(response, "After hours")
        self.assertContains(response, "Unread")
        self.assertContains(response, "Mark all 1 read")
        self.assertContains(response, "The client can write to you.")
        self.assertContains(response, "Monday to Friday, 9:00 to 17:00 (Europe/London)")
        self.assertContains(response, "Within 2 days (48 hours)")
        self.assertContains(response, 'name="idempotency_key"')
        event = AuditEvent.objects.get(action="message.list")
        self.assertEqual(event.actor, self.alice)
        self.assertEqual(event.object_id, str(self.dana.pk))
        self.assertEqual(event.detail, {"page": 1, "shown": 2})

    def test_a_reply_is_stored_marks_the_clients_messages_read_and_is_audited(self) -> None:
        theirs = make_message(self.dana, when=timezone.now() - timedelta(hours=2))
        self.login(self.alice)
        response = self.client.post(self.url(), reply_data(), follow=True)
        self.assertRedirects(response, self.url())
        self.assertContains(response, "Your reply was sent.")
        reply = Message.objects.get(direction=Direction.TO_CLIENT)
        self.assertEqual(reply.sender, self.alice)
        self.assertEqual(reply.client, self.dana)
        self.assertEqual(reply.in_reply_to, theirs)
        self.assertEqual(reply.episode, self.episode)
        self.assertEqual(reply.body, "Thank you, let's make time for that.")
        theirs.refresh_from_db()
        self.assertIsNotNone(theirs.read_at)
        self.assertEqual(theirs.read_by, self.alice)
        event = AuditEvent.objects.get(action="message.reply")
        self.assertEqual(
            event.detail,
            {
                "client_id": self.dana.pk,
                "episode_id": self.episode.pk,
                "direction": "to_client",
                "in_reply_to": theirs.pk,
                "marked_read": [theirs.pk],
            },
        )
        # Dana sees it in her portal.
        self.login(self.dana_user)
        self.assertContains(self.client.get("/portal/messages/"), "Alice Adams wrote")

    def test_a_reply_sent_twice_is_stored_once(self) -> None:
        self.login(self.alice)
        data = reply_data()
        for _ in range(5):
            self.client.post(self.url(), data)
        self.assertEqual(Message.objects.count(), 1)
        self.assertEqual(AuditEvent.objects.filter(action="message.reply").count(), 1)

    def test_bad_replies_are_refused_beside_the_field(self) -> None:
        self.login(self.alice)
        for overrides, error in (
            ({"body": ""}, "Write your message."),
            ({"body": "y" * 4001}, "Please keep your message to 4,000 characters or fewer"),
        ):
            response = self.client.post(self.url(), reply_data(**overrides))
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, error)
            self.assertContains(response, 'id="id_body_error"')
        response = self.client.post(self.url(), reply_data(idempotency_key="bad"))
        self.assertContains(response, "This form has expired.")
        self.assertEqual(Message.objects.count(), 0)

    def test_mark_one_and_mark_all_read(self) -> None:
        first = make_message(self.dana)
        second = make_message(self.dana)
        self.login(self.alice)
        response = self.client.post(f"/messages/{first.pk}/read/", follow=True)
        self.assertContains(response, "The message was marked read.")
        first.refresh_from_db()
        self.assertEqual(first.read_by, self.alice)
        self.assertEqual(AuditEvent.objects.get(action="message.read").object_id, str(first.pk))
        # Marking it again changes nothing and writes nothing.
        self.client.post(f"/messages/{first.pk}/read/")
        self.assertEqual(AuditEvent.objects.filter(action="message.read").count(), 1)
        response = self.client.post(f"/clients/{self.dana.pk}/messages/read/", follow=True)
        self.assertContains(response, "1 message marked read.")
        second.refresh_from_db()
        self.assertIsNotNone(second.read_at)
        event = AuditEvent.objects.get(action="message.read_all")
        self.assertEqual(event.detail, {"message_ids": [second.pk]})
        response = self.client.post(f"/clients/{self.dana.pk}/messages/read/", follow=True)
        self.assertContains(response, "There were no unread messages.")

    def test_the_thread_query_count_does_not_grow(self) -> None:
        self.login(self.alice)
        counts = []
        for n in (2, 60):
            for i in range(n - Message.objects.count()):
                make_message(self.dana, from_client=i % 3 != 0, body=f"message {i}")
            # 1 session, 2 user, 3 membership, 4 the client with practice and therapist,
            # 5 the client's episodes (phase), 6 the therapist's policy, 7 the messaging
            # switch, 8 count, 9 the page of messages with senders, 10 the unread count,
            # 11 the audit row.
            with self.assertNumQueries(11):
                self.client.get(self.url())
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(self.url() + "?page=2")
            counts.append(len(ctx.captured_queries))
        self.assertEqual(counts[0], counts[1])


class MessagingSwitchTests(BoundariesTestCase):
    def url(self) -> str:
        return f"/clients/{self.dana.pk}/messages/settings/"

    def test_turning_off_needs_a_reason(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url(), {"enabled": "off", "reason": "  "})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Give the reason for turning messages off.")
        self.assertContains(response, 'id="id_reason_error"')
        response = self.client.post(self.url(), {"enabled": "off", "reason": "r" * 1001})
        self.assertContains(response, "Please keep this to 1,000 characters or fewer")
        response = self.client.post(self.url(), {"enabled": "maybe", "reason": "x"})
        self.assertContains(response, "Choose whether to turn messages off or on.")
        self.assertEqual(ClientMessaging.objects.count(), 0)

    def test_off_with_a_reason_then_on_again(self) -> None:
        self.login(self.alice)
        response = self.client.post(
            self.url(),
            {"enabled": "off", "reason": "REASON-CANARY: messages every night"},
            follow=True,
        )
        self.assertContains(response, "Portal messages are off for this client.")
        self.assertContains(response, "Turned off for this client on")
        self.assertContains(response, "REASON-CANARY: messages every night")
        self.assertContains(response, "Turn messages back on")
        change = ClientMessaging.objects.get()
        self.assertFalse(change.enabled)
        self.assertEqual(change.changed_by, self.alice)
        event = AuditEvent.objects.get(action="messaging.off")
        self.assertEqual(event.detail, {"client_id": self.dana.pk})
        with connection.cursor() as cursor:
            cursor.execute("SELECT reason FROM boundaries_clientmessaging")
            self.assertNotIn("CANARY", cursor.fetchone()[0])

        # Dana is refused and told how to reach the practice.
        self.login(self.dana_user)
        self.assertEqual(
            self.client.post(
                "/portal/messages/new/", {"body": "hi", "idempotency_key": new_idempotency_key()}
            ).status_code,
            400,
        )

        # Turned off twice: refused.
        self.login(self.alice)
        response = self.client.post(self.url(), {"enabled": "off", "reason": "again"})
        self.assertContains(response, "Messages are already turned off for this client.")
        response = self.client.post(self.url(), {"enabled": "on"}, follow=True)
        self.assertContains(response, "Portal messages are on again for this client")
        self.assertEqual(AuditEvent.objects.filter(action="messaging.on").count(), 1)
        self.login(self.dana_user)
        self.assertEqual(
            self.client.post(
                "/portal/messages/new/", {"body": "hi", "idempotency_key": new_idempotency_key()}
            ).status_code,
            302,
        )

    def test_turning_on_what_is_not_off_is_refused(self) -> None:
        with self.assertRaises(services.BoundaryError):
            services.set_client_messaging(self.dana, enabled=True, actor=actor_for(self.alice))
        self.assertEqual(ClientMessaging.objects.count(), 0)


class DayAndBriefTests(BoundariesTestCase):
    def test_unread_messages_for_the_therapists_own_clients_only(self) -> None:
        older = make_message(self.dana, when=NOW - timedelta(days=1))
        newer = make_message(self.dana, when=NOW, after_hours=True)
        make_message(self.dana, when=NOW, read_at=NOW)  # read
        make_message(self.dana, from_client=False, when=NOW)  # Alice's own
        make_message(self.finn, when=NOW)  # Bob's client
        with self.assertNumQueries(1):
            rows = unread_messages(self.alice)
            [r.client.first_name for r in rows]
        self.assertEqual(rows, [newer, older])
        self.assertEqual([m.client for m in unread_messages(self.bob)], [self.finn])
        self.assertEqual(unread_messages(self.olivia), [])
        self.assertEqual(unread_messages(self.dana_user), [])

    def test_the_day_has_one_entry_per_client(self) -> None:
        make_message(self.dana, when=NOW - timedelta(hours=3))
        make_message(self.dana, when=NOW, after_hours=True)
        gail = make_client(self.alice, "Gail", "Green")
        from continuum.testing.base import make_portal_user

        make_portal_user(gail)
        make_message(gail, when=NOW)
        entries = {e.client_id: e for e in presented(message_day_items(self.alice, NOW))}
        self.assertEqual(set(entries), {self.dana.pk, gail.pk})
        dana = entries[self.dana.pk]
        self.assertEqual(dana.reason, "2 unread portal messages, 1 sent after hours.")
        self.assertEqual(dana.url, reverse("boundaries:client_messages", args=[self.dana.pk]))
        self.assertEqual(entries[gail.pk].reason, "1 unread portal message.")

    @time_machine.travel(NOW, tick=False)
    def test_the_day_page_lists_unread_messages(self) -> None:
        make_message(self.dana, when=NOW - timedelta(hours=1))
        self.login(self.alice)
        response = self.client.get("/day/")
        self.assertContains(response, "1 unread portal message.")
        self.assertContains(response, f'href="/clients/{self.dana.pk}/messages/">Read and reply')
        self.login(self.bob)
        self.assertNotContains(self.client.get("/day/"), "unread portal message")

    def test_messages_since_in_one_query(self) -> None:
        since = NOW - timedelta(days=7)
        make_message(self.dana, when=since - timedelta(days=1), body="before")
        a = make_message(self.dana, when=since + timedelta(days=1), body="after one")
        b = make_message(self.dana, from_client=False, when=since + timedelta(days=2))
        make_message(self.finn, when=since + timedelta(days=1))
        with self.assertNumQueries(1):
            digest = messages_since(self.dana, since)
        self.assertEqual(digest.messages, [a, b])
        self.assertEqual((digest.unread, digest.from_client), (1, 1))
        self.assertEqual(len(messages_since(self.dana, None).messages), 3)
        self.assertFalse(messages_since(self.eli, since).has_any)

    def test_the_brief_shows_messages_since_the_last_session(self) -> None:
        now = timezone.now()
        previous = make_appointment(
            self.dana,
            now - timedelta(days=7),
            episode=self.episode,
            status=AppointmentStatus.ATTENDED,
        )
        upcoming = make_appointment(self.dana, now + timedelta(hours=2), episode=self.episode)
        make_message(self.dana, when=previous.starts_at - timedelta(days=1), body="Too old to show")
        make_message(self.dana, when=now - timedelta(days=1), body="Worried about Friday")
        url = reverse("continuity:brief", kwargs={"appointment_id": upcoming.pk})
        self.login(self.alice)
        response = self.client.get(url)
        self.assertContains(response, "Messages since the last session")
        self.assertContains(response, "Worried about Friday")
        self.assertContains(response, "1 message, 1 unread.")
        self.assertNotContains(response, "Too old to show")
        Message.objects.all().delete()
        self.assertContains(self.client.get(url), "No messages since the last session.")


class EmailTests(BoundariesTestCase):
    def test_the_new_message_email_carries_no_content(self) -> None:
        theirs = make_message(self.dana, body="SECRET-CONTENT")
        subject, body, to = services.new_message_email(theirs)
        self.assertEqual(subject, "You have a new message")
        self.assertEqual(to, "alice@example.org")
        self.assertIn(f"/clients/{self.dana.pk}/messages/", body)
        reply = make_message(self.dana, from_client=False, body="SECRET-REPLY")
        subject, body, to = services.new_message_email(reply)
        self.assertEqual(to, self.dana_user.email)
        self.assertIn("/portal/messages/", body)
        for text in (subject, body):
            self.assertNotIn("SECRET", text)
            self.assertNotIn("Dana", text)
            self.assertNotIn("Alice", text)
