from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Metric definitions, daily rollups and the report pages (see ARCHITECTURE.md §2)."""

    name = "reports"
    verbose_name = _("Metrics")
