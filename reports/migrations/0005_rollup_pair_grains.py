"""Pair grains (region × category, region × type, category × type) for the days already rolled up.

From this release ``rows_for_day`` writes them for every day it computes and the pages read them for two-dimension
filters. Days computed before have only the cube; this adds their pair rows summed from the cube (exact: the cube
holds every fact of the day), a day at a time, so pages stay right without recomputing from the source tables.
Going back removes the pair rows again.
"""

from __future__ import annotations

from django.db import migrations

BATCH = 5_000
DIMENSIONS = ("region", "category", "employment_type")
PAIRS = ((True, True, False), (True, False, True), (False, True, True))
# ``DailyRollup.grain`` of the pairs (region 1, category 2, employment type 4) and of the cube.
PAIR_GRAINS, CUBE = (3, 5, 6), 7


def add_pair_rows(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    DailyRollup = apps.get_model("reports", "DailyRollup")
    RollupDay = apps.get_model("reports", "RollupDay")
    cube = DailyRollup.objects.filter(grain=CUBE)
    days = cube.values_list("day", flat=True).distinct().order_by("day")
    for day in list(days):
        # A day recomputed by the new code before this ran already has its pairs: replace them, never double them.
        DailyRollup.objects.filter(day=day, grain__in=PAIR_GRAINS).delete()
        sums: dict[tuple[str, str, str, str, str], list] = {}
        columns = ("metric", "key", *DIMENSIONS, "value", "count", "histogram")
        for metric, key, region, category, employment_type, value, count, histogram in (
            cube.filter(day=day).values_list(*columns).iterator(chunk_size=BATCH)
        ):
            cell = (region, category, employment_type)
            for keep in PAIRS:
                grain = tuple(v if k else "" for v, k in zip(cell, keep, strict=True))
                target = sums.setdefault((metric, key, *grain), [0.0, 0, None])
                target[0] += value
                target[1] += count
                if histogram is not None:
                    target[2] = (
                        list(histogram) if target[2] is None else [a + b for a, b in zip(target[2], histogram, strict=True)]
                    )
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(
                    day=day,
                    metric=metric,
                    key=key,
                    region=region,
                    category=category,
                    employment_type=employment_type,
                    value=value,
                    count=count,
                    histogram=histogram,
                )
                for (metric, key, region, category, employment_type), (value, count, histogram) in sums.items()
            ],
            batch_size=BATCH,
        )
        # The day's marker counts its rows (shown in the admin): keep it true.
        RollupDay.objects.filter(day=day).update(rows=DailyRollup.objects.filter(day=day).count())


def remove_pair_rows(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    DailyRollup = apps.get_model("reports", "DailyRollup")
    RollupDay = apps.get_model("reports", "RollupDay")
    DailyRollup.objects.filter(grain__in=PAIR_GRAINS).delete()
    for marker in RollupDay.objects.all():
        marker.rows = DailyRollup.objects.filter(day=marker.day).count()
        marker.save(update_fields=["rows"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_rollup_grain"),
    ]

    operations = [migrations.RunPython(add_pair_rows, remove_pair_rows)]
