"""The report pages' period and dimension filters (GET parameters), validated with a clear message."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jobs.models import Category, EmploymentType
from jobs.regions import PROVINCES
from reports.metrics import local_day
from reports.pages import PRESET_LABELS, Period, Preset
from reports.selectors import Filters

# A year and a bit: a page over a longer range would read tens of thousands of rollup rows.
MAX_RANGE_DAYS = 400


class ReportFilterForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Period"),
        choices=[*PRESET_LABELS.items(), (Preset.CUSTOM, _("Custom"))],
        required=False,
    )
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    region = forms.ChoiceField(
        label=_("Region"), required=False, choices=[("", _("All regions")), *sorted(PROVINCES.items())]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *Category.choices]
    )
    employment_type = forms.ChoiceField(
        label=_("Employment type"), required=False, choices=[("", _("All types")), *EmploymentType.choices]
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or local_day(dt.datetime.now(dt.UTC))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        preset = data.get("preset") or ""
        if start or end:
            if not (start and end):
                raise forms.ValidationError(_("Give both dates of a custom period, or pick a preset."))
            if end < start:
                raise forms.ValidationError(
                    _("The period ends (%(end)s) before it starts (%(start)s).") % {"end": end, "start": start}
                )
            if end > self.today:
                raise forms.ValidationError(_("The period cannot end after today (%(today)s).") % {"today": self.today})
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Pick at most %(days)d days.") % {"days": MAX_RANGE_DAYS})
            data["preset"] = Preset.CUSTOM
        elif preset == Preset.CUSTOM:
            raise forms.ValidationError(_("Give both dates of a custom period, or pick a preset."))
        return data

    def period(self) -> Period:
        """The chosen period (the 30-day preset when nothing was chosen)."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("start") and data.get("end"):
            return Period(data["start"], data["end"])
        return Period.preset(data.get("preset") or Preset.MONTH, self.today)

    def filters(self) -> Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            region=data.get("region") or "",
            category=data.get("category") or "",
            employment_type=data.get("employment_type") or "",
        )
