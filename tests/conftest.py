"""Shared fixtures. Tests that need a server fail loudly without one: they never skip."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection

SERVERS_PROMISED = os.environ.get("BACKOFFICE_TEST_SERVERS") == "1"


def pytest_report_header(config: pytest.Config) -> list[str]:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    redis = os.environ.get("REDIS_URL") or "none (tests marked needs_redis will FAIL; use `make test`)"
    return [f"backoffice: database={engine} redis={redis}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    # `make test` promises PostgreSQL; a settings mistake that silently falls back to SQLite must stop the run.
    if SERVERS_PROMISED:
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            raise pytest.UsageError(f"make test promised PostgreSQL but Django is configured for {engine}")


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.fail("This test needs a real Redis server: run it through `make test` (or set REDIS_URL).")
    return url


@pytest.fixture
def require_postgres(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.fail("This test needs PostgreSQL: run it through `make test` (or set DATABASE_URL).")


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """The cache may be a shared Redis (make test): cached numbers must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


_DB_FIXTURES = {"db", "transactional_db", "live_server", "admin_client", "admin_user", "django_user_model"}


@pytest.fixture(autouse=True)
def _reference_data(request: pytest.FixtureRequest) -> None:
    """Put back the data-migration rows a previous transactional test flushed (see tests/reference_data.py)."""
    if request.node.get_closest_marker("django_db") is None and not _DB_FIXTURES & set(request.fixturenames):
        return
    request.getfixturevalue("_django_db_helper")
    from django.contrib.auth.models import Group

    from tests.reference_data import restore_reference_data

    if not Group.objects.exists():
        restore_reference_data()
