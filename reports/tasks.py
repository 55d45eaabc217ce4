"""Celery entry points for reports: thin, one service each (``backoffice.automation.periodic_job``)."""

from __future__ import annotations

from backoffice.automation import Queue, periodic_job
from reports import services

# The first run backfills REPORTS_BACKFILL_DAYS; later runs recompute a day or two (seconds at our scale).
ROLLUP_TIME_LIMIT = 1800


@periodic_job("reports.rollup", queue=Queue.MAINTENANCE, time_limit=ROLLUP_TIME_LIMIT)
def rollup() -> dict[str, int | str]:
    """Recompute the daily rollups from the last watermark (plus days late events changed)."""
    return services.rollup_incremental()
