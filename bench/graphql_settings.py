"""Settings for ``bench/graphql.py``: the production settings (DEBUG off), with ``bench/graphql_baseline.py`` as
the URLconf so the baseline view is served by the same processes, middleware and database as ``/graphql/``.

``SECRET_KEY``, ``ALLOWED_HOSTS`` and ``DATABASE_URL`` come from the environment the script sets. Requests carry
``X-Forwarded-Proto: https`` as they would behind the production TLS proxy, so ``SECURE_SSL_REDIRECT`` stays on.
"""

from backoffice.settings import *  # noqa: F403

ROOT_URLCONF = "bench.graphql_baseline"
DEBUG = False
