"""How work is queued: the Celery app, its tasks, the event bridge and the docflow CLI."""
