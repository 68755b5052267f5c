from django.apps import AppConfig


class PracticeConfig(AppConfig):
    """The practice's own pages (a surface): where each person starts, the members, the
    client roster, break-glass and the audit log. Their URL names keep the namespaces
    "accounts" and "audit" they were born with, so links and tests did not change."""

    name = "continuum.practice"
    label = "practice"
