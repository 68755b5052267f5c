"""The acting context, without a database: who acts, and what a grant makes of an actor."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from unittest import TestCase

from continuum.lib.actor import Actor, Channel


@dataclass(frozen=True)
class Someone:
    pk: int = 7
    email: str = "someone@example.org"
    is_authenticated: bool = True


class ActorTests(TestCase):
    def test_the_system_has_no_user_and_cannot_act_as_one(self) -> None:
        system: Actor[Someone] = Actor.system(practice_id=3)
        self.assertEqual((system.user, system.practice_id, system.channel), (None, 3, "system"))
        with self.assertRaises(PermissionError):
            system.acting_user()

    def test_a_task_acts_for_its_user_and_writes_unless_given_a_grant(self) -> None:
        task = Actor.for_task(Someone(), practice_id=1)
        self.assertEqual(task.channel, Channel.TASK)
        self.assertEqual(task.acting_user(), Someone())
        self.assertFalse(task.reading)
        self.assertIsNone(task.grant_id)

        through_grant = Actor.for_task(Someone(), practice_id=1, grant_id=42)
        self.assertTrue(through_grant.reading)  # a grant never opens a write
        self.assertEqual(through_grant.grant_id, 42)

    def test_an_actor_is_frozen(self) -> None:
        actor = Actor.for_task(Someone(), practice_id=1)
        with self.assertRaises(dataclasses.FrozenInstanceError):
            actor.user = None  # type: ignore[misc]

    def test_lib_imports_no_django(self) -> None:
        import ast
        from pathlib import Path

        import continuum.lib.actor as module

        tree = ast.parse(Path(module.__file__).read_text())
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        self.assertFalse(imported & {"django", "continuum"})
