"""The WARN check naming delivered Jobindsats tables the mapping seed does not use."""

from stv_pipeline.defs.jobindsats import mapping_check_result


def test_a_table_with_monthly_municipal_figures_and_nothing_mapped_is_named():
    result = mapping_check_result([("OTIJ01", 12, 0), ("Y01A02", 0, 0), ("Y36A02", 40, 20)])
    assert not result.passed
    assert result.severity.value == "WARN"
    # Y01A02 has no monthly municipal figure (e.g. quarterly or national only): not named
    assert result.description.startswith(
        "1 Jobindsats table(s) with monthly municipal figures feed nothing: OTIJ01;"
    )
    assert result.metadata["tables_unmapped"].value == ["OTIJ01"]
    assert result.metadata["tables_mapped"].value == ["Y36A02"]


def test_every_table_mapped_or_none_loaded_passes():
    assert mapping_check_result([("Y36A02", 40, 20)]).passed
    empty = mapping_check_result([])
    assert empty.passed and empty.description == "no Jobindsats table loaded"
