from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    """Reports, screening rules, the review queue, decisions and sanctions (see ARCHITECTURE.md §2)."""

    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # jobs announces posting changes and never imports moderation; moderation subscribes here, so every
        # new or edited posting is screened before it counts as published (EVENTS.md).
        from jobs.signals import posting_changed
        from moderation.screening import on_posting_changed

        posting_changed.connect(on_posting_changed, dispatch_uid="moderation.screening")
        # A new year in the minimum-wage table re-judges the live postings' wages (a Celery task: it reads
        # every live posting, far too long for the admin request that saved the row).
        from jobs.signals import minimum_wage_changed
        from moderation.tasks import on_minimum_wage_changed

        minimum_wage_changed.connect(on_minimum_wage_changed, dispatch_uid="moderation.recheck_wages")
        # Registers the marketplace event handlers (report.filed) with the shared event processor.
        from moderation import events  # noqa: F401
