"""In-process CPU time per request for the key pages: one side of bench/ab.sh (an A/B of two
commits). Arguments: targets.json (bench/setup_data.py), requests per page and therapist, out."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "continuum.settings")
import django

django.setup()
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from continuum.accounts.models import User  # noqa: E402

targets = json.loads(Path(sys.argv[1]).read_text())
rounds = int(sys.argv[2])
out: dict[str, dict[str, float]] = {}
for name in ["floor", "day", "caseload", "client", "brief", "alerts"]:
    cpu, wall, queries = [], [], []
    for staff in targets["staff"][:4]:
        client = Client()
        client.force_login(User.objects.get(pk=staff["user_id"]))
        url = staff["urls"][name]
        for _ in range(3):  # warm caches, as a server that has served the page before
            client.get(url)
        for _ in range(rounds):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            cpu.append(time.process_time() - cpu0)
            wall.append(time.perf_counter() - wall0)
            queries.append(len(captured.captured_queries))
            assert response.status_code == 200, (name, response.status_code)
    out[name] = {
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 2),
        "wall_ms_median": round(statistics.median(wall) * 1000, 2),
        "queries": statistics.median(queries),
    }
    print(name, out[name], flush=True)
Path(sys.argv[3]).write_text(json.dumps(out, indent=1))
