"""What a worker does to one document: read, clean, segment, tag, write. No Celery here."""

__version__ = "0.1.0"
