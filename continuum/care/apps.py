from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "continuum.care"
    label = "care"

    def ready(self) -> None:
        from continuum.care import presenters, queries
        from continuum.lib.contributions import DayContribution, register_day

        register_day(
            DayContribution(
                "care",
                queries.drifting_day_items,
                {queries.DRIFTING_ITEM: presenters.drifting_lines},
                queries.drifting_items_for,
            )
        )
        register_day(
            DayContribution(
                "care.notes",
                queries.draft_note_day_items,
                {queries.DRAFT_NOTE_ITEM: presenters.draft_note_lines},
                queries.draft_note_items_for,
            )
        )
        # A draft is its author's to sign: those of clients who moved to another therapist
        # stay on their author's day (asked live; the attention table is read per client).
        register_day(
            DayContribution(
                "care.notes.elsewhere",
                queries.draft_elsewhere_day_items,
                {queries.DRAFT_ELSEWHERE_ITEM: presenters.draft_elsewhere_lines},
            )
        )
