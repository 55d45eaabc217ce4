from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    """Reports, screening rules, the review queue, decisions and sanctions (see ARCHITECTURE.md §2)."""

    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Registers the marketplace event handlers (report.filed) with the shared event processor.
        from moderation import events  # noqa: F401
