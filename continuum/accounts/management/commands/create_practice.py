"""`manage.py create_practice "Name" --owner owner@example.org`: a practice and its owner."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from continuum.accounts import services


class Command(BaseCommand):
    help = (
        "Create a practice and its owner, and print a one-time link for the owner to set "
        "their password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the practice's name")
        parser.add_argument("--owner", required=True, help="the owner's email address")
        parser.add_argument("--owner-name", default="", help="the owner's full name")
        parser.add_argument(
            "--time-zone",
            default="UTC",
            help="the practice's and the owner's time zone, e.g. Europe/London (default UTC)",
        )
        parser.add_argument(
            "--no-clinical",
            action="store_true",
            help="the owner only administers the practice and treats no clients",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            membership = services.create_practice(
                name=options["name"],
                owner_email=options["owner"],
                owner_name=options["owner_name"],
                time_zone=options["time_zone"],
                clinical=not options["no_clinical"],
            )
        except services.AccountError as exc:
            raise CommandError(str(exc)) from None
        owner = membership.user
        self.stdout.write(
            f"Created practice {membership.practice.name} (id {membership.practice_id})."
        )
        self.stdout.write(
            f"The owner {owner.email} sets a password with this one-time link "
            f"(valid for {services.link_hours()} hours):"
        )
        self.stdout.write(services.set_password_link(owner))
