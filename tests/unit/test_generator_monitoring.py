"""The sample's monitoring rows: the jobcentre's count beside its providers' own tallies."""

import numpy as np

from stv_pipeline.sample.generator import (
    PROVIDER_AHEAD_SHARE,
    PROVIDER_MISSING_SHARE,
    PROVIDER_SPLITS,
    split_by_provider,
)


def test_a_municipality_without_providers_delivers_its_own_count_only():
    rng = np.random.default_rng(1)
    assert split_by_provider(rng, 450, 37) == [("", 37)]
    assert split_by_provider(rng, 450, 0) == [("", 0)]


def test_providers_tallies_arrive_beside_the_jobcentre_count_and_need_not_add_up_to_it():
    rng = np.random.default_rng(7)
    (first, second), _ = PROVIDER_SPLITS[461]
    draws = [split_by_provider(rng, 461, 200) for _ in range(400)]
    own = [dict(d).get("") for d in draws]
    tallies = [dict(d)[first] + dict(d)[second] for d in draws]
    assert all([p for p, _ in d if p] == [first, second] for d in draws)
    assert all(d[0] == ("", 200) for d, count in zip(draws, own, strict=True) if count)
    # the jobcentre's own count is missing on some dates (then only the tallies arrive) ...
    assert 0.05 < own.count(None) / len(draws) < 0.15
    # ... and the tallies miss some of its registrations and hold some it has not yet made:
    # around the count, above it and below it, never simply equal by construction
    assert min(tallies) < 200 < max(tallies)
    assert sum(t == 200 for t in tallies) < len(draws) / 4
    expected_mean = 200 * (1 - PROVIDER_MISSING_SHARE + PROVIDER_AHEAD_SHARE)
    assert abs(np.mean(tallies) - expected_mean) < 3
