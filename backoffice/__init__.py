"""Project package: settings, URL root, Celery app, and the shared infrastructure every app uses.

The Celery app is imported here so that ``@shared_task`` in the apps binds to it when Django starts.
"""

from backoffice.celery import app as celery_app

__all__ = ["celery_app"]
