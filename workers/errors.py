"""Failures with stable codes, so a caller always learns why a document was dropped."""

from enum import StrEnum


class Code(StrEnum):
    """Stable error codes written into failure records."""

    EMPTY = "EMPTY"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    TOO_LARGE = "TOO_LARGE"
    UNDECODABLE = "UNDECODABLE"
    MALFORMED = "MALFORMED"
    NOT_FOUND = "NOT_FOUND"
    STORAGE = "STORAGE"
    TIMEOUT = "TIMEOUT"
    WORKER_LOST = "WORKER_LOST"
    INTERNAL = "INTERNAL"


# Codes worth another attempt: the document may succeed once the outage passes.
TRANSIENT = frozenset({Code.STORAGE})


class DocflowError(Exception):
    """A document could not be processed, with the stage that gave up and why."""

    def __init__(self, code: Code, message: str, stage: str) -> None:
        super().__init__(f"{code}: {message} (stage {stage})")
        self.code = code
        self.message = message
        self.stage = stage

    @property
    def transient(self) -> bool:
        """True when retrying later may succeed."""
        return self.code in TRANSIENT
