from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Registers the marketplace event handlers with the shared event processor.
        from jobs import events  # noqa: F401
