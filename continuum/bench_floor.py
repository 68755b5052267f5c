"""The benchmark's floor: the cheapest authenticated page (docs/performance.md).

`make bench` reports every key page's median latency as a multiple of this view's. It goes
through the whole middleware stack (sessions, CSRF, authentication, session limits, CSP,
time zone) and renders a tiny template, so the floor is what any logged-in request costs
before a view does its own work. It shows nothing about anyone.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html")
