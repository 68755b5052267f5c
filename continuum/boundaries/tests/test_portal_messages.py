"""Portal messages, the client's side: the inbox, writing a message with the policy and crisis
resources in view, the after-hours reply by the therapist's zone, messages turned off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from continuum.accounts.actors import actor_for
from continuum.audit.models import AuditEvent
from continuum.boundaries import services
from continuum.boundaries.models import ClientMessaging, Direction, Message, Phase
from continuum.boundaries.tests.world import (
    FRI_EVENING,
    WED_EVENING,
    WED_MORNING,
    BoundariesTestCase,
    make_message,
    set_policy,
)
from continuum.lib.keys import new_idempotency_key

INBOX = "/portal/messages/"
COMPOSE = "/portal/messages/new/"


def message_data(key: str | None = None, **overrides: str) -> dict[str, str]:
    data = {"body": "Could we talk about my sister next time?", "idempotency_key": key or ""}
    data["idempotency_key"] = key or new_idempotency_key()
    data.update(overrides)
    return data


def page(message: Message) -> str:
    return f"/portal/messages/{message.pk}/"


class AccessTests(BoundariesTestCase):
    def test_it_requires_login(self) -> None:
        message = make_message(self.dana)
        for url in (INBOX, COMPOSE, page(message)):
            response = self.client.get(url)
            self.assertRedirects(
                response, f"/accounts/login/?next={url}", fetch_redirect_response=False
            )
        self.assertEqual(self.client.post(COMPOSE, message_data()).status_code, 302)
        self.assertEqual(Message.objects.count(), 1)

    def test_staff_get_404_on_every_portal_page(self) -> None:
        message = make_message(self.dana)
        for user in (self.alice, self.bob, self.olivia, self.charlie):
            self.login(user)
            for url in (INBOX, COMPOSE, page(message)):
                self.assertEqual(self.client.get(url).status_code, 404, (user, url))
                self.assertEqual(self.client.post(url, message_data()).status_code, 404)
        self.assertEqual(Message.objects.count(), 1)

    def test_other_clients_get_404_on_danas_message(self) -> None:
        message = make_message(self.dana)
        reply = make_message(self.dana, from_client=False)
        for user in (self.eli_user, self.finn_user):
            self.login(user)
            for target in (message, reply):
                self.assertEqual(self.client.get(page(target)).status_code, 404)
                self.assertEqual(self.client.post(page(target)).status_code, 404)

    def test_other_clients_inboxes_show_none_of_danas_messages(self) -> None:
        make_message(self.dana, body="Dana's own words")
        make_message(self.dana, from_client=False, body="Alice to Dana")
        self.login(self.eli_user)
        response = self.client.get(INBOX)
        self.assertContains(response, "No messages yet.")
        self.assertNotContains(response, "Dana")
        self.assertNotContains(response, "Alice to Dana")

    def test_a_reply_to_someone_elses_message_is_ignored(self) -> None:
        finns = make_message(self.finn, from_client=False, body="Bob to Finn")
        self.login(self.dana_user)
        response = self.client.get(f"{COMPOSE}?reply_to={finns.pk}")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Bob to Finn")
        self.assertNotContains(response, "You are replying to")
        for junk in ("abc", "-1", "1e9", "", "1;DROP TABLE"):
            self.assertEqual(self.client.get(f"{COMPOSE}?reply_to={junk}").status_code, 200)
        # Posted anyway: refused beside the form, nothing stored.
        response = self.client.post(COMPOSE, message_data(in_reply_to=str(finns.pk)))
        self.assertContains(response, "The message you are replying to was not found.")
        self.assertEqual(Message.objects.filter(client=self.dana).count(), 0)


class ComposeTests(BoundariesTestCase):
    @time_machine.travel(WED_MORNING, tick=False)
    def test_the_compose_page_shows_the_policy_and_the_crisis_resources(self) -> None:
        self.login(self.dana_user)
        response = self.client.get(COMPOSE)
        self.assertContains(response, "<h1>Write to your therapist</h1>", html=True)
        self.assertContains(
            response,
            "Your therapist reads messages Monday to Friday, 9:00 to 17:00 (Europe/London time).",
        )
        self.assertContains(
            response, "They aim to reply within 2 days (48 hours), counted from when they are"
        )
        self.assertContains(response, "If you are in danger now")
        self.assertContains(response, "116 123")
        self.assertNotContains(response, "They are not at work now.")
        self.assertContains(
            response, '<a href="/portal/messages/" aria-current="page">Messages</a>'
        )

    @time_machine.travel(WED_EVENING, tick=False)
    def test_after_hours_the_compose_page_says_when_it_will_be_read(self) -> None:
        self.login(self.dana_user)
        response = self.client.get(COMPOSE)
        self.assertContains(response, "They are not at work now.")
        self.assertContains(
            response,
            '<time datetime="2026-07-09T09:00:00+01:00">Thursday 9 July, 09:00</time>',
        )

    @time_machine.travel(WED_MORNING, tick=False)
    def test_a_message_within_hours_is_stored_audited_and_confirmed(self) -> None:
        self.login(self.dana_user)
        response = self.client.post(COMPOSE, message_data(), follow=True)
        message = Message.objects.get()
        self.assertRedirects(response, page(message))
        self.assertContains(response, "<h1>Your message was sent</h1>", html=True)
        # Wednesday 11:00 + 48 hours: Friday 11:00 in London.
        self.assertContains(
            response,
            "aims to reply by "
            '<time datetime="2026-07-10T11:00:00+01:00">Friday 10 July, 11:00</time>',
        )
        self.assertNotContains(response, "is not at work right now")
        self.assertContains(response, "If you are in danger now")
        self.assertContains(response, "Could we talk about my sister next time?")
        self.assertEqual(message.client, self.dana)
        self.assertEqual(message.episode, self.episode)
        self.assertEqual(message.sender, self.dana_user)
        self.assertEqual(message.direction, Direction.TO_THERAPIST)
        self.assertEqual(message.body, "Could we talk about my sister next time?")
        self.assertFalse(message.after_hours)
        self.assertIsNone(message.read_at)
        self.assertEqual(message.created_at, WED_MORNING)

        event = AuditEvent.objects.get(action="message.send")
        self.assertEqual(event.actor, self.dana_user)
        self.assertEqual(event.practice_id, self.riverside.pk)
        self.assertEqual(
            event.detail,
            {
                "client_id": self.dana.pk,
                "episode_id": self.episode.pk,
                "direction": "to_therapist",
                "after_hours": False,
                "in_reply_to": None,
            },
        )
        self.assertNotIn("sister", str(AuditEvent.objects.values_list("detail", flat=True)))

    @time_machine.travel(WED_EVENING, tick=False)
    def test_after_hours_the_client_gets_the_after_hours_reply_at_once(self) -> None:
        set_policy(self.alice, after_hours_reply="I'm off for the evening; back tomorrow.")
        self.login(self.dana_user)
        response = self.client.post(COMPOSE, message_data(), follow=True)
        message = Message.objects.get()
        self.assertTrue(message.after_hours)
        self.assertContains(response, "Your therapist is not at work right now")
        self.assertContains(response, "I&#x27;m off for the evening; back tomorrow.")
        self.assertContains(
            response,
            "They will read your message from "
            '<time datetime="2026-07-09T09:00:00+01:00">Thursday 9 July, 09:00</time>.',
        )
        self.assertContains(response, "116 123")
        self.assertTrue(AuditEvent.objects.get(action="message.send").detail["after_hours"])
        # Opened again the next day: still the same reply for that message.
        with time_machine.travel(WED_EVENING + timedelta(days=1), tick=False):
            self.login(self.dana_user)  # the earlier session has timed out by then
            again = self.client.get(page(message))
        self.assertContains(again, "Thursday 9 July, 09:00")

    @time_machine.travel(FRI_EVENING, tick=False)
    def test_after_hours_is_decided_by_the_therapists_zone_not_the_clients(self) -> None:
        # Friday 20:00 UTC: 16:00 for a client in New York, 21:00 for Alice in London.
        self.dana.time_zone = "America/New_York"
        self.dana.save()
        self.login(self.dana_user)
        response = self.client.post(COMPOSE, message_data(), follow=True)
        self.assertTrue(Message.objects.get().after_hours)
        # Monday 09:00 in London is 04:00 in New York, shown in the client's own zone.
        self.assertContains(
            response, '<time datetime="2026-07-13T04:00:00-04:00">Monday 13 July, 04:00</time>'
        )

    @time_machine.travel(FRI_EVENING, tick=False)
    def test_a_therapist_in_new_york_is_still_at_work(self) -> None:
        # Charlie works in New York, where Friday 20:00 UTC is 16:00.
        self.login(self.eli_user)
        response = self.client.post(COMPOSE, message_data(), follow=True)
        message = Message.objects.get()
        self.assertFalse(message.after_hours)
        self.assertEqual(message.client, self.eli)
        self.assertNotContains(response, "is not at work right now")
        self.assertEqual(Message.objects.filter(client=self.dana).count(), 0)

    @time_machine.travel(WED_MORNING, tick=False)
    def test_a_weekend_only_therapist_is_after_hours_on_a_wednesday(self) -> None:
        set_policy(self.alice, days={5, 6}, working_hours_start=time(10))
        self.login(self.dana_user)
        response = self.client.post(COMPOSE, message_data(), follow=True)
        self.assertTrue(Message.objects.get().after_hours)
        self.assertContains(response, "Saturday 11 July, 10:00")

    def test_bad_input_is_refused_and_nothing_is_stored(self) -> None:
        self.login(self.dana_user)
        for overrides, error in (
            ({"body": ""}, "Write your message."),
            ({"body": "   "}, "Write your message."),
            (
                {"body": "x" * 4001},
                "Please keep your message to 4,000 characters or fewer (it has 4001).",
            ),
        ):
            response = self.client.post(COMPOSE, message_data(**overrides))
            self.assertEqual(response.status_code, 200)
            self.assertIn(error, response.context["form"].errors["body"])
            self.assertContains(response, 'id="id_body_error"')
            self.assertContains(response, "If you are in danger now")
        self.assertEqual(Message.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(action="message.send").exists())

    def test_an_expired_form_asks_again_with_a_fresh_key(self) -> None:
        self.login(self.dana_user)
        for key in ("", "short", "has spaces in it!!!!"):
            response = self.client.post(COMPOSE, {"body": "Hello", "idempotency_key": key})
            self.assertContains(response, "This form has expired.")
            fresh = response.context["form"].data["idempotency_key"]
            self.assertRegex(fresh, r"^[A-Za-z0-9_-]{32}$")
            self.assertContains(response, "Hello</textarea>")
        self.assertEqual(Message.objects.count(), 0)

    def test_the_same_form_sent_ten_times_makes_one_message(self) -> None:
        self.login(self.dana_user)
        data = message_data()
        pages = {self.client.post(COMPOSE, data)["Location"] for _ in range(10)}
        message = Message.objects.get()
        self.assertEqual(pages, {page(message)})
        self.assertEqual(AuditEvent.objects.filter(action="message.send").count(), 1)
        # A new form is a new message.
        self.client.post(COMPOSE, message_data())
        self.assertEqual(Message.objects.count(), 2)

    def test_the_same_key_from_another_client_is_another_message(self) -> None:
        data = message_data()
        self.login(self.dana_user)
        self.client.post(COMPOSE, data)
        self.login(self.finn_user)
        self.client.post(COMPOSE, data)
        self.assertEqual(
            sorted(Message.objects.values_list("client__first_name", flat=True)), ["Dana", "Finn"]
        )

    def test_the_body_is_encrypted_in_the_database(self) -> None:
        self.login(self.dana_user)
        self.client.post(COMPOSE, message_data(body="CANARY-body-5b1e"))
        message = Message.objects.get()
        with connection.cursor() as cursor:
            cursor.execute("SELECT body FROM boundaries_message WHERE id = %s", [message.pk])
            raw = cursor.fetchone()[0]
        self.assertNotIn("CANARY", raw)
        self.assertEqual(message.body, "CANARY-body-5b1e")

    def test_replying_to_the_therapist(self) -> None:
        theirs = make_message(self.dana, from_client=False, body="How did the week go?")
        self.login(self.dana_user)
        page_ = self.client.get(page(theirs))
        self.assertContains(page_, "<h1>Message from your therapist</h1>", html=True)
        self.assertContains(page_, f'href="{COMPOSE}?reply_to={theirs.pk}"')
        form = self.client.get(f"{COMPOSE}?reply_to={theirs.pk}")
        self.assertContains(form, "You are replying to")
        self.assertContains(form, "How did the week go?")
        self.assertContains(form, f'name="in_reply_to" value="{theirs.pk}"')
        self.client.post(COMPOSE, message_data(in_reply_to=str(theirs.pk)))
        mine = Message.objects.get(direction=Direction.TO_THERAPIST)
        self.assertEqual(mine.in_reply_to, theirs)


class MessagingOffTests(BoundariesTestCase):
    def _assert_refused(self, explanation: str) -> None:
        self.login(self.dana_user)
        page_ = self.client.get(COMPOSE)
        self.assertEqual(page_.status_code, 200)
        self.assertContains(page_, "You cannot send portal messages at the moment")
        self.assertContains(page_, explanation)
        self.assertContains(page_, "To reach your therapist, contact Riverside Therapy")
        self.assertContains(page_, "If you are in danger now")
        self.assertContains(page_, "116 123")
        self.assertNotContains(page_, "<textarea")
        refused = self.client.post(COMPOSE, message_data())
        self.assertEqual(refused.status_code, 400)
        self.assertContains(
            refused, "To reach your therapist, contact Riverside Therapy", status_code=400
        )
        self.assertEqual(Message.objects.count(), 0)
        self.assertFalse(AuditEvent.objects.filter(action="message.send").exists())
        inbox = self.client.get(INBOX)
        self.assertContains(inbox, "You cannot send portal messages at the moment")
        self.assertNotContains(inbox, "Write a message")

    def test_after_therapy_the_default_policy_has_no_messages(self) -> None:
        self.episode.status = "ended"
        self.episode.save()
        self._assert_refused("Your course of therapy has ended")

    def test_a_therapist_can_allow_messages_after_therapy(self) -> None:
        self.episode.status = "follow_up"
        self.episode.save()
        set_policy(self.alice, Phase.AFTER_THERAPY, portal_messages_enabled=True)
        self.login(self.dana_user)
        self.client.post(COMPOSE, message_data())
        self.assertEqual(Message.objects.get().episode, self.episode)

    def test_a_therapist_can_turn_messages_off_in_therapy(self) -> None:
        set_policy(self.alice, portal_messages_enabled=False)
        self._assert_refused("Portal messages are not part of your care at the moment.")

    def test_turned_off_for_this_client_without_showing_the_reason(self) -> None:
        ClientMessaging.objects.create(
            client=self.dana, enabled=False, reason="PRIVATE-REASON", changed_by=self.alice
        )
        self._assert_refused("Your therapist has turned portal messages off for you.")
        self.assertNotContains(self.client.get(COMPOSE), "PRIVATE-REASON")

    def test_turned_back_on(self) -> None:
        ClientMessaging.objects.create(client=self.dana, enabled=False, changed_by=self.alice)
        ClientMessaging.objects.create(client=self.dana, enabled=True, changed_by=self.alice)
        self.login(self.dana_user)
        self.assertEqual(self.client.post(COMPOSE, message_data()).status_code, 302)

    def test_after_follow_up_consent_ends_nothing_more_is_sent(self) -> None:
        from continuum.followup.models import FollowUpConsent

        self.episode.status = "follow_up"
        self.episode.save()
        set_policy(self.alice, Phase.AFTER_THERAPY, portal_messages_enabled=True)
        FollowUpConsent.objects.create(
            client=self.dana,
            episode=self.episode,
            status="withdrawn",
            months=[1, 3],
            starts_on=self.episode.start_date,
            ends_on=self.episode.start_date,
            consented_at=WED_MORNING,
        )
        self._assert_refused("Your follow-up has ended")

    def test_the_service_refuses_too(self) -> None:
        set_policy(self.alice, portal_messages_enabled=False)
        with self.assertRaises(services.MessagingOff):
            services.send_client_message(self.dana, message_data(), actor=actor_for(self.dana_user))
        self.assertEqual(Message.objects.count(), 0)


class InboxTests(BoundariesTestCase):
    def test_it_lists_both_directions_newest_first(self) -> None:
        base = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
        make_message(self.dana, body="First from Dana", when=base)
        make_message(
            self.dana, from_client=False, body="Reply from Alice", when=base + timedelta(hours=3)
        )
        self.login(self.dana_user)
        response = self.client.get(INBOX)
        body = response.content.decode()
        self.assertLess(body.index("Reply from Alice"), body.index("First from Dana"))
        self.assertContains(response, "Alice Adams wrote")
        self.assertContains(response, "You wrote")
        self.assertContains(response, "Write a message")
        event = AuditEvent.objects.get(action="message.portal_list")
        self.assertEqual(event.detail, {"page": 1, "shown": 2})

    def test_the_inbox_query_count_does_not_grow(self) -> None:
        self.login(self.dana_user)
        counts = []
        for n in (2, 40):
            for i in range(n - Message.objects.count()):
                make_message(self.dana, from_client=i % 2 == 0, body=f"message {i}")
            # 1 session, 2 user, 3 the client with practice, therapist and portal settings,
            # 4 the client's episodes (phase), 5 the therapist's policy, 6 the messaging
            # switch, 7 count, 8 the page of messages with their senders, 9 marking the
            # therapist's new ones seen (issue 14), 10 the audit row, 11 the membership
            # context processor, 12 the follow-up phase (portal menu), 13 whether "Ending
            # well" has anything for the client (issue 14).
            with self.assertNumQueries(13):
                self.client.get(INBOX)
            with CaptureQueriesContext(connection) as ctx:
                self.client.get(INBOX + "?page=2")
            counts.append(len(ctx.captured_queries))
        self.assertEqual(counts[0], counts[1])
