"""Quality gate: docflow's entities on the entities dev set must not regress."""

import pytest

from benchmarks.entities import DEFAULT_DATASET, clustering, docflow_found, load, ner

# Measured on the dev set (`python -m benchmarks.entities`) less 0.005 of head room for harmless
# drift; raise them when entities improve, never lower them to pass.
TYPED_F1_FLOOR = 0.758
B3_F1_NO_MISC_FLOOR = 0.985
MERGED_NO_MISC_FLOOR = 0.964


@pytest.mark.quality
def test_entities_quality_above_floors() -> None:
    # make quality runs beside ../shared; a missing corpus is a broken set-up, not a pass.
    assert (DEFAULT_DATASET / "gold.json").is_file(), f"no entities dev set at {DEFAULT_DATASET}"
    documents = load(DEFAULT_DATASET)
    found, _ = docflow_found(documents)
    typed_f1 = ner(documents, found)["typed"][2]
    scores = clustering(documents, found, misc=False)
    merged, multi = scores["merged"]
    assert typed_f1 >= TYPED_F1_FLOOR, f"typed F1 {typed_f1:.4f}"
    assert scores["b3"][2] >= B3_F1_NO_MISC_FLOOR, f"B3 F1 without MISC {scores['b3']}"
    assert merged / multi >= MERGED_NO_MISC_FLOOR, f"fully merged without MISC {merged}/{multi}"
