"""The demo is the top layer: nothing else imports it, and its planning modules do not import
each other in a circle (they share their types through history.py)."""

from __future__ import annotations

import ast
from pathlib import Path

from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[2]  # continuum/


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


class DemoLayerTests(SimpleTestCase):
    def test_nothing_outside_the_demo_imports_it(self) -> None:
        offenders = [
            str(path.relative_to(ROOT.parent))
            for path in ROOT.rglob("*.py")
            if ROOT / "demo" not in path.parents
            and any(name.startswith("continuum.demo") for name in _imports(path))
        ]
        self.assertEqual(offenders, [])

    def test_the_planning_modules_import_no_circle(self) -> None:
        demo = ROOT / "demo"
        graph = {
            path.stem: {
                name.removeprefix("continuum.demo.").split(".")[0]
                for name in _imports(path)
                if name.startswith("continuum.demo.")
            }
            for path in demo.glob("*.py")
        }

        def reaches(start: str, target: str, seen: set[str]) -> bool:
            for nxt in graph.get(start, set()):
                if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                    return True
            return False

        circular = sorted(module for module in graph if reaches(module, module, set()))
        self.assertEqual(circular, [])
