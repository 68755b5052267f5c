"""Every action the code audits has words on the owner's log (issue 14: "human names for
actions"). The scan reads each `record(actor, "<code>", ...)` call with a literal code in the
app code, so a new action without words fails here instead of showing its raw code."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import SimpleTestCase

from continuum.audit.presenters import action_words

APP_ROOT = Path(__file__).resolve().parents[2]
RECORD_CALL = re.compile(r"""\brecord\(\s*[^,()]+,\s*["']([a-z_]+\.[a-z_.]+)["']""")


def audited_codes() -> set[str]:
    codes: set[str] = set()
    for path in APP_ROOT.rglob("*.py"):
        if "tests" not in path.parts:
            codes |= set(RECORD_CALL.findall(path.read_text(encoding="utf-8")))
    return codes


class ActionWordsTests(SimpleTestCase):
    def test_the_scan_finds_the_audited_actions(self) -> None:
        codes = audited_codes()
        self.assertIn("day.view", codes)
        self.assertIn("measures.alert_acknowledge", codes)
        self.assertGreater(len(codes), 80)

    def test_every_audited_action_has_words(self) -> None:
        raw = sorted(code for code in audited_codes() if action_words(code) == code)
        self.assertEqual(raw, [], "give these codes words in audit/presenters.py")

    def test_words_read_as_a_sentence(self) -> None:
        self.assertEqual(action_words("measures.alert_acknowledge"), "Alert acknowledged")
        self.assertEqual(action_words("day.view"), "Day viewed (clients on my mind)")
        self.assertEqual(action_words("no.such_code"), "no.such_code")
