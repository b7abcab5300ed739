"""Drop local files into the ingest bucket, the way a user would."""

import logging
import mimetypes
from collections.abc import Callable, Iterable

from workers.local import LocalStore
from workers.overlap import overlapped
from workers.s3 import s3_store
from workers.settings import Settings

log = logging.getLogger(__name__)

_UNKNOWN_TYPE = "application/octet-stream"


def submit(
    inputs: Iterable[tuple[LocalStore, str]],
    settings: Settings,
    sent: Callable[[str], None] = lambda _: None,
) -> int:
    """Upload each (folder, key) to the ingest bucket under key; how many were uploaded."""
    inbox = s3_store(settings.ingest_bucket, settings)

    def upload(item: tuple[LocalStore, str]) -> str:
        folder, key = item
        # Read whole and unchecked: an oversized or odd file is the worker's to refuse,
        # with a failure record, exactly as if it had been dropped in by other means.
        data = folder.root.joinpath(key).read_bytes()
        inbox.put(key, data, mimetypes.guess_type(key)[0] or _UNKNOWN_TYPE)
        log.info("submitted %s (%d bytes)", key, len(data))
        return key

    count = 0
    # Several uploads in flight at once: each mostly waits on the server.
    for key in overlapped(upload, inputs):
        count += 1
        sent(key)
    return count
