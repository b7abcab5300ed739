"""How long a retry waits."""

import pytest

from tasks.service import backoff


@pytest.mark.parametrize(
    ("retries", "low", "high"), [(0, 1, 2), (1, 2, 4), (2, 4, 8), (5, 30, 60), (9, 30, 60)]
)
def test_service_backoff_keeps_at_least_half_of_each_delay(
    retries: int, low: float, high: float
) -> None:
    delays = [backoff(2, retries, 60) for _ in range(500)]
    assert low <= min(delays) and max(delays) <= high
    assert max(delays) - min(delays) > (high - low) / 2  # jittered, not fixed
