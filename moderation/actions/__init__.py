"""Every write in the moderation domain, one module per topic: intake (reports, rule hits), claims, decisions,
sanctions, appeals, config. Entry points (admin, GraphQL, Celery, event handlers) call these and nothing else."""
