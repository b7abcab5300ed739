"""Quality gate: docflow's extraction F1 on the article-extraction dev set must not regress."""

import pytest

from benchmarks.extraction import DEFAULT_DATASET, docflow_text, load_pages, score
from workers.settings import Settings

# Measured F1 on the dev set (benchmarks/extraction.py) less 0.005 of head room for
# harmless drift; raise it when extraction improves, never lower it to pass.
F1_FLOOR = 0.979


@pytest.mark.quality
def test_extraction_quality_f1_above_floor() -> None:
    pages = load_pages(DEFAULT_DATASET)
    settings = Settings()
    result = score((docflow_text(page, settings), page.truth) for page in pages)
    assert result.f1 >= F1_FLOOR, (
        f"F1 {result.f1:.4f} (P {result.precision:.4f}, R {result.recall:.4f})"
    )
