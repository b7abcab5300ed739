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


class DocflowError(Exception):
    """A document could not be processed, with the stage that gave up and why."""

    def __init__(self, code: Code, message: str, stage: str) -> None:
        super().__init__(f"{code}: {message} (stage {stage})")
        self.code = code
        self.message = message
        self.stage = stage

    def __reduce__(self) -> tuple[type["DocflowError"], tuple[str, ...]]:
        # Pickled whole (Celery checks an error it keeps can be): its own arguments back.
        return type(self), (self.code, self.message, self.stage)


class TransientError(DocflowError):
    """Storage could not be reached: another attempt, later, may succeed."""

    def __init__(self, message: str, stage: str) -> None:
        super().__init__(Code.STORAGE, message, stage)

    def __reduce__(self) -> tuple[type["DocflowError"], tuple[str, ...]]:
        return type(self), (self.message, self.stage)


def timeout_error(limit: int) -> DocflowError:
    """What a document gets that its job's time limit cut short, in a batch of its own."""
    # The limit is the job's, not a stage's: whichever stage it struck, the job gave up.
    return DocflowError(Code.TIMEOUT, f"over the {limit} s time limit", "process")
