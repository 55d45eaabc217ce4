"""Rows the data migrations create: roles, reason templates, default rules, minimum wages, the admin theme.

A transactional test (live server, real worker, two connections) ends with a flush that empties every table,
these rows included; tests after it would then run against a database no deployment ever has. The conftest
puts them back, with the migrations' own functions, whenever they are missing."""

from __future__ import annotations

import importlib

from django.apps import apps


def _migration(app_label: str, name: str):  # type: ignore[no-untyped-def]
    return importlib.import_module(f"{app_label}.migrations.{name}")


def restore_reference_data() -> None:
    from backoffice.roles import sync_role_permissions

    _migration("jobs", "0002_minimum_wage_table").seed(apps, None)
    _migration("moderation", "0002_reason_templates_and_roles").seed_templates(apps, None)
    _migration("moderation", "0005_default_rules").seed(apps, None)
    _migration("backoffice", "0004_admin_theme").apply_theme(apps, None)
    sync_role_permissions(apps)
