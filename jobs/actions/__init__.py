"""Every write in the jobs domain: one list-shaped function per use case (``jobs/actions/<topic>.py``).

The ingestion consumer calls them with a batch, the admin, moderation and Celery jobs with a list of one
(``backoffice.actions.one`` unwraps it). There is no second implementation: the fast path is the only path.
"""
