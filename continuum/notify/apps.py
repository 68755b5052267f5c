from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "continuum.notify"
    label = "notify"
    verbose_name = "Reminders and email"

    def ready(self) -> None:
        # notify's own kinds of reminder, and the job that records and queues every kind's.
        from continuum.lib.jobs import ReminderKind, periodic_jobs, reminder_kinds
        from continuum.notify import handlers, providers
        from continuum.notify.models import ReminderKind as K
        from continuum.notify.scheduler import REMINDERS

        for kind in (
            ReminderKind(K.APPOINTMENT, (providers.appointment_reminders,), handlers.appointment),
            ReminderKind(K.MEASURE, (providers.measure_reminders,), handlers.measure),
            ReminderKind(K.CHECKIN, (providers.checkin_reminders,), handlers.checkin),
            ReminderKind(K.MESSAGE, (providers.message_reminders,), handlers.message),
            ReminderKind(
                K.THERAPIST_DAY, (providers.therapist_day_reminders,), handlers.therapist_day
            ),
        ):
            reminder_kinds.register(kind)
        periodic_jobs.register(REMINDERS)
