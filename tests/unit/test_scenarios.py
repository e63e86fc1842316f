"""Scenarios of `stv sample --scale`: which municipalities, how many persons, which vintages."""

from datetime import date

import pytest

from stv_pipeline.sample.scenarios import (
    NATIONAL_PERSONS_PER_INHABITANT,
    SAMPLE_MUNICIPALITIES,
    populations,
    scenario,
)


def test_the_sample_scenario_is_the_committed_ten_municipalities_and_snapshots_apart():
    sample = scenario("sample")
    assert sample.municipalities == SAMPLE_MUNICIPALITIES
    assert sample.benefits_vintages == (date(2019, 1, 15), date(2019, 4, 15))
    # earnings lag the first benefits snapshot and lead the second
    assert sample.earnings_vintages == (date(2019, 2, 5), date(2019, 4, 8))
    assert sample.benefits_split_by_region == (date(2019, 4, 15),)
    assert sample.persons == 1590


def test_national_has_all_98_municipalities_27_participants_sized_by_population():
    national = scenario("national", seed=2016)
    by_code = {m.code: m for m in national.municipalities}
    assert len(by_code) == 98 and set(by_code) == set(populations())
    participants = {m.code for m in national.municipalities if m.participant}
    assert len(participants) == 27
    # the four jobcentres the evaluation names, and the sample's other two participants
    assert {450, 813, 253, 710, 461, 316} <= participants
    assert by_code[101].persons == round(624_000 * NATIONAL_PERSONS_PER_INHABITANT) == 19_968
    assert by_code[825].persons == round(1_800 * NATIONAL_PERSONS_PER_INHABITANT) == 58
    # the sample municipalities keep their behaviour, e.g. Frederikshavn's slow registration
    assert by_code[813].lag_scale == 1.4 and by_code[813].monitoring_ratio == 0.84
    assert set(national.fidelity_change) == participants
    assert len(national.benefits_vintages) == len(national.earnings_vintages) == 4
    assert not set(national.benefits_vintages) & set(national.earnings_vintages)
    assert national.benefits_split_by_region == national.benefits_vintages


def test_smaller_scales_shrink_the_person_pools_only():
    small, national = scenario("small"), scenario("national")
    assert [m.code for m in small.municipalities] == [m.code for m in national.municipalities]
    assert {m.code: m.participant for m in small.municipalities} == {
        m.code: m.participant for m in national.municipalities
    }
    sizes = {m.code: m.persons for m in small.municipalities}
    assert sizes[101] == round(624_000 * NATIONAL_PERSONS_PER_INHABITANT / 50) == 399
    assert sizes[825] == 2  # 1.15 persons rounds to 1; every pool keeps at least 2


def test_the_drawn_parameters_depend_on_the_seed_only():
    assert scenario("medium", seed=7) == scenario("medium", seed=7)
    assert scenario("medium", seed=7) != scenario("medium", seed=8)


def test_an_unknown_scale_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="small, medium, national"):
        scenario("regional")


def test_a_longer_history_is_monthly_snapshots_ending_with_the_scales_own():
    """`stv sample --vintages 13`: a year of monthly deliveries before the newest."""
    scale, year = scenario("medium", seed=7), scenario("medium", seed=7, vintages=13)
    assert year.benefits_vintages[-4:] == scale.benefits_vintages
    assert year.benefits_vintages[:3] == (date(2018, 4, 15), date(2018, 5, 15), date(2018, 6, 15))
    assert len(year.benefits_vintages) == 13 and year.benefits_vintages[8] == date(2018, 12, 15)
    assert year.earnings_vintages[-4:] == scale.earnings_vintages
    assert year.earnings_vintages[:2] == (date(2018, 4, 8), date(2018, 5, 8))
    assert year.benefits_split_by_region == year.benefits_vintages
    assert year.municipalities == scale.municipalities
    assert scenario("medium", seed=7, vintages=4) == scale
    assert scenario("medium", seed=7, vintages=2).benefits_vintages == (
        date(2019, 3, 15),
        date(2019, 4, 15),
    )
    with pytest.raises(ValueError, match="vintages"):
        scenario("sample", vintages=3)
