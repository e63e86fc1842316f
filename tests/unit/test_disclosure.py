"""Disclosure control as one system over the exported tables, attacked on little tables.

Each adversarial fixture is first protected table by table (every table suppressed alone, as the
export used to be) and attacked by the audit's linear program over all tables, which recovers a
suppressed cell; then protected jointly, after which no suppressed cell can be recovered. The
cells and relations come from the marts' declarations in the dbt manifest (dbt/models/marts/*.yml).
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from stv_pipeline.exports.audit import IntruderSystem, Witnesses, audit, describe
from stv_pipeline.exports.cells import CellSystem, ContextCells, build_system, declarations
from stv_pipeline.exports.disclosure import (
    Publication,
    audit_publication,
    close_totals,
    hidden_cells,
    mart_cells,
    primary_suppression,
    published_tables,
    repair_candidates,
    suppress_export,
)
from tests.disclosure_frames import (
    IY,
    KH,
    NEWEST,
    OLDER,
    OLDEST,
    RF,
    RULES,
    WIDTH,
    baseline_endline,
    nowcast,
    revisions,
    success,
    window_row,
)


@pytest.fixture(scope="module")
def tables():
    return declarations()


def table_by_table(frames, tables) -> Publication:
    """Each table protected alone, as the export used to do."""
    parts = {name: suppress_export({name: frame}, tables, RULES) for name, frame in frames.items()}
    return Publication(
        {n: p.tables[n] for n, p in parts.items()},
        {n: p.masks[n] for n, p in parts.items()},
        {n: p.suppressions[n] for n, p in parts.items()},
    )


def attack(frames, publication, tables):
    union, result = audit_publication(frames, publication, tables, RULES)
    return union.system, result


def exposed_cells(frames, publication, tables):
    system, result = attack(frames, publication, tables)
    return {
        tuple(system.cells.loc[c, ["measure", "area", "period", "group"]]) for c in result.exposed
    }, result


SEPT, AUG, JUL = date(2016, 9, 1), date(2016, 8, 1), date(2016, 7, 1)


def test_one_hidden_month_of_a_window_is_recovered_from_the_window_total(tables):
    frames = {
        "success_criteria_monthly": success(
            [
                (101, JUL, "alle", 10, 0, 0, 0),
                (101, AUG, "alle", 3, 0, 0, 0),
                (101, SEPT, "alle", 12, 0, 0, 0),
            ]
        ),
        "baseline_endline": baseline_endline(
            window_row("municipality", 101, True, "alle", population_baseline=25)
        ),
    }
    exposed, _ = exposed_cells(frames, table_by_table(frames, tables), tables)
    # 25 - 10 - 12 = 3: August's population given back by the baseline figure
    assert exposed == {("population", "101", "2016-08-01", "alle")}

    joint = suppress_export(frames, tables, RULES)
    exposed, result = exposed_cells(frames, joint, tables)
    assert exposed == set() and result.narrowest >= WIDTH
    # the cheapest complement: July (10), the smallest other month of the window
    assert joint.masks["success_criteria_monthly"]["population"].tolist() == [True, True, False]
    assert not joint.masks["baseline_endline"]["population_baseline"].any()
    # August is primary, July secondary; their shares go with them
    assert joint.suppressions["success_criteria_monthly"]["primary"] == 1 + 3
    assert joint.suppressions["success_criteria_monthly"]["secondary"] == 1 + 3


def pool(participant_flag):
    return baseline_endline(
        window_row("municipality", 101, participant_flag(True), "alle", population_baseline=3),
        window_row("municipality", 102, participant_flag(True), "alle", population_baseline=20),
        window_row("municipality", 103, participant_flag(True), "alle", population_baseline=30),
        window_row("municipality", 104, participant_flag(False), "alle", population_baseline=40),
        window_row("participants", None, participant_flag(True), "alle", population_baseline=53),
        window_row("comparison", None, participant_flag(False), "alle", population_baseline=40),
    )


def test_one_hidden_municipality_is_recovered_from_its_pool_unless_a_second_one_is_hidden(tables):
    # the mart used to drop is_participant, so the pool relation never applied
    old = {"baseline_endline": pool(lambda flag: None)}
    fixed = {"baseline_endline": pool(lambda flag: flag)}
    exposed, result = exposed_cells(fixed, table_by_table(old, tables), tables)
    # 53 - 20 - 30 = 3
    assert exposed == {("population", "101", "baseline", "alle")}
    assert (
        "areas -> participants" in describe(*attack(fixed, table_by_table(old, tables), tables))[0]
    )

    joint = suppress_export(fixed, tables, RULES)
    exposed, _ = exposed_cells(fixed, joint, tables)
    assert exposed == set()
    hidden = joint.masks["baseline_endline"]["population_baseline"].tolist()
    assert hidden == [True, True, False, False, False, False]  # 101 and the smaller 102


def test_a_cell_hidden_in_one_table_is_hidden_in_every_table_that_repeats_it(tables):
    month = date(2019, 3, 1)
    frames = {
        "success_criteria_monthly": success(
            [
                (101, month, KH, 3, 0, 0, 0),
                (101, month, RF, 20, 0, 0, 0),
                (101, month, IY, 10, 0, 0, 0),
                (101, month, "alle", 33, 0, 0, 0),
            ]
        ),
        # only the integration benefit's month is still provisional, so nowcast repeats it alone
        "nowcast": nowcast([(101, month, IY, "population", 10)]),
        "registration_revisions": revisions(
            [
                (101, month, g, "population", NEWEST, v, None)
                for g, v in ((KH, 3), (RF, 20), (IY, 10), ("alle", 33))
            ]
        ),
    }
    old = table_by_table(frames, tables)
    assert old.masks["success_criteria_monthly"]["population"].tolist() == [
        True,
        False,
        True,
        False,
    ]
    assert not old.masks["nowcast"]["observed"].any()
    exposed, _ = exposed_cells(frames, old, tables)
    # 33 - 20 - 10 (nowcast) = 3
    assert ("population", "101", "2019-03-01", KH) in exposed

    joint = suppress_export(frames, tables, RULES)
    assert exposed_cells(frames, joint, tables)[0] == set()
    assert joint.masks["nowcast"]["observed"].tolist() == [True]
    assert joint.masks["registration_revisions"]["value"].tolist() == [True, False, True, False]


def test_a_revision_chain_across_three_vintages_does_not_give_a_hidden_vintage_back(tables):
    month = date(2018, 9, 1)
    frames = {
        "registration_revisions": revisions(
            [
                (101, month, "alle", "population", OLDEST, 7, None),
                (101, month, "alle", "population", OLDER, 3, OLDEST),
                (101, month, "alle", "population", NEWEST, 8, OLDER),
            ]
        )
    }
    joint = suppress_export(frames, tables, RULES)
    mask = joint.masks["registration_revisions"]
    assert mask["value"].tolist() == [False, True, False]
    # the middle vintage's revision and the newest's (8 - 3) would give 3 back
    assert mask["revision_abs"].tolist() == [False, True, True]
    assert mask["revision_rel"].tolist() == [False, True, True]
    assert exposed_cells(frames, joint, tables)[0] == set()

    # weakened: the newest revision published -> 8 - 5 = 3
    weakened = Publication(
        joint.tables
        | {
            "registration_revisions": frames["registration_revisions"].assign(
                value=frames["registration_revisions"]["value"].where(~mask["value"])
            )
        },
        joint.masks | {"registration_revisions": mask.assign(revision_abs=[False, True, False])},
        joint.suppressions,
    )
    exposed, result = exposed_cells(frames, weakened, tables)
    assert exposed == {("population", "101", "2018-09-01", "alle")}
    assert result.lower.tolist() == [3.0] and result.upper.tolist() == [3.0]


def test_a_published_share_times_its_published_denominator_gives_the_count_back(tables):
    month = date(2019, 3, 1)
    frames = {
        "success_criteria_monthly": success(
            [
                (101, month, KH, 20, 3, 0, 3),
                (101, month, RF, 20, 10, 0, 10),
                (101, month, "alle", 40, 13, 0, 13),
            ]
        )
    }
    joint = suppress_export(frames, tables, RULES)
    mask = joint.masks["success_criteria_monthly"]
    assert mask["n_company"].tolist() == [True, True, False]
    assert mask["share_company"].tolist() == [True, True, False]
    assert not mask["population"].any()
    assert exposed_cells(frames, joint, tables)[0] == set()
    # the count hidden (as when another table hid it) but its share left published: 0.15 x 20
    weakened = Publication(
        published_tables(
            frames,
            joint.masks
            | {"success_criteria_monthly": mask.assign(share_company=[False, True, False])},
        ),
        joint.masks | {"success_criteria_monthly": mask.assign(share_company=[False, True, False])},
        joint.suppressions,
    )
    exposed, _ = exposed_cells(frames, weakened, tables)
    # KH from the share, then RF from alle - KH; n_either with them, since with n_hours = 0
    # the bounds n_company <= n_either <= n_company + n_hours make it equal to n_company
    assert exposed == {
        (measure, "101", "2019-03-01", group)
        for measure in ("n_company", "n_either")
        for group in (KH, RF)
    }


def test_the_audit_from_the_suppressions_cells_adds_what_the_publication_shows(tables):
    """The run's audit starts from the cell system its suppression built (mart_cells, without
    derived figures' equations). A published share or revision must still be an equation to
    it: the weakened publications above are exposed exactly as by an audit that builds the
    system anew."""
    month = date(2018, 9, 1)
    shares = {
        "success_criteria_monthly": success(
            [
                (101, month, KH, 20, 3, 0, 3),
                (101, month, RF, 20, 10, 0, 10),
                (101, month, "alle", 40, 13, 0, 13),
            ]
        )
    }
    chain = {
        "registration_revisions": revisions(
            [
                (101, month, "alle", "population", OLDEST, 7, None),
                (101, month, "alle", "population", OLDER, 3, OLDEST),
                (101, month, "alle", "population", NEWEST, 8, OLDER),
            ]
        )
    }
    for frames, table, derived in (
        (shares, "success_criteria_monthly", "share_company"),
        (chain, "registration_revisions", "revision_abs"),
    ):
        cells = mart_cells(frames, tables, RULES)
        joint = suppress_export(frames, tables, RULES, cells=cells)
        mask = joint.masks[table]
        leaked = mask.copy()  # the first suppressed derived figure published
        leaked.loc[mask.index[mask[derived]][0], derived] = False
        weakened = Publication(
            published_tables(frames, joint.masks | {table: leaked}),
            joint.masks | {table: leaked},
            joint.suppressions,
        )
        _, shared = audit_publication(frames, weakened, tables, RULES, cells=cells)
        _, anew = audit_publication(frames, weakened, tables, RULES)
        assert shared.exposed.size > 0, table
        assert shared.exposed.tolist() == anew.exposed.tolist()
        assert shared.lower.tolist() == anew.lower.tolist()
        assert shared.upper.tolist() == anew.upper.tolist()
        _, passed = audit_publication(frames, joint, tables, RULES, cells=cells)
        assert passed.exposed.size == 0


def test_zeros_stay_published_and_the_same_input_gives_the_same_suppression(tables):
    month = date(2019, 3, 1)
    frames = {
        "success_criteria_monthly": success(
            [
                (101, month, KH, 2, 0, 0, 0),
                (101, month, RF, 9, 0, 0, 0),
                (101, month, IY, 6, 0, 0, 0),
                (101, month, "alle", 17, 0, 0, 0),
            ]
        )
    }
    first = suppress_export(frames, tables, RULES)
    again = suppress_export(
        {"success_criteria_monthly": frames["success_criteria_monthly"][::-1]},
        tables,
        RULES,
    )
    mask = first.masks["success_criteria_monthly"]
    assert mask["population"].tolist() == [True, False, True, False]  # 2 and the smaller 6
    assert not mask[["n_company", "n_hours", "n_either"]].any().any()
    assert again.masks["success_criteria_monthly"]["population"][::-1].tolist() == [
        True,
        False,
        True,
        False,
    ]
    published = first.tables["success_criteria_monthly"]
    assert str(published["population"].dtype) == "Int64" and pd.isna(published.loc[0, "population"])


def test_hidden_cells_are_those_no_table_shows(tables):
    month = date(2019, 3, 1)
    frames = {
        "success_criteria_monthly": success([(101, month, "alle", 3, 0, 0, 0)]),
        "nowcast": nowcast([(101, month, "alle", "population", 3)]),
    }
    system = build_system(frames, tables, RULES)
    assert len(system.cells) == 4  # one population cell shared by both tables, three zeros
    masks = suppress_export(frames, tables, RULES).masks
    hidden = hidden_cells(system, masks)
    assert hidden.sum() == 1
    masks["nowcast"].loc[0, "observed"] = False
    assert hidden_cells(system, masks).sum() == 0


def test_one_cell_with_two_values_in_two_tables_is_an_error(tables):
    month = date(2019, 3, 1)
    frames = {
        "success_criteria_monthly": success([(101, month, "alle", 30, 0, 0, 0)]),
        "nowcast": nowcast([(101, month, "alle", "population", 31)]),
    }
    with pytest.raises(ValueError, match="different values"):
        build_system(frames, tables, RULES)


def small_system(
    values: list[float],
    equations: list[dict[int, float]],
    rhs: list[float] | None = None,
    kinds: list[str] | None = None,
) -> CellSystem:
    """Cells with the given values and equations sum(coef * cell) = rhs (default 0)."""
    cells = pd.DataFrame({"cell": range(len(values)), "value": [float(v) for v in values]})
    for d in ("measure", "area", "period", "group", "vintage", "detail"):
        cells[d] = ""
    rows = [(eq, cell, coef) for eq, terms in enumerate(equations) for cell, coef in terms.items()]
    return CellSystem(
        occurrences=cells.assign(table="t", row=range(len(values)), column="n"),
        cells=cells,
        equations=pd.DataFrame(rows, columns=["eq", "cell", "coef"]).astype({"coef": float}),
        eq_rhs=np.array(rhs or [0.0] * len(equations), dtype=float),
        eq_kind=np.array(kinds or ["parts -> total"] * len(equations), dtype=object),
        inequalities=pd.DataFrame({"ineq": [], "cell": [], "coef": []}),
        ineq_kind=np.array([], dtype=object),
        linked={},
        total_equations=len(equations),
    )


def rectangle_system(values, totals):
    """Four cells a b / c d with their row and column totals published as equations."""
    a, b, c, d = range(4)
    return small_system(
        values,
        [{a: 1, b: 1}, {c: 1, d: 1}, {a: 1, c: 1}, {b: 1, d: 1}],
        totals,
        ["rows", "rows", "columns", "columns"],
    )


def test_the_audit_finds_the_intervals_of_a_suppressed_rectangle_by_hand():
    # a=1 b=5 / c=4 d=7: a moves by t, b and c against it, d with it; t in [-1, 4]
    system = rectangle_system([1, 5, 4, 7], [6, 11, 5, 12])
    result = audit(system, np.ones(4, dtype=bool), WIDTH)
    assert result.lower.tolist() == [0, 1, 0, 6]
    assert result.upper.tolist() == [5, 6, 5, 11]
    assert result.exposed.size == 0 and result.narrowest == 5
    # with d published the rectangle is gone: b = 12 - 7, then a = 6 - b and c = 11 - 7
    hidden = np.array([True, True, True, False])
    result = audit(system, hidden, WIDTH)
    assert result.exposed.tolist() == [0, 1, 2]
    assert result.lower.tolist() == result.upper.tolist() == [1, 5, 4]
    assert describe(system, result)[0].endswith("through columns; rows")


def test_a_point_is_taken_as_proof_only_when_it_satisfies_every_relation():
    # all four hidden: the rectangle's cycle a+2, b-2, c-2, d+2 keeps every total, so it alone
    # proves each cell movable by 2 and no LP is solved
    system = rectangle_system([1, 5, 4, 7], [6, 11, 5, 12])
    cycle = Witnesses(sparse.csr_matrix(np.array([[2.0, -2.0, -2.0, 2.0]])))
    result = audit(system, np.ones(4, dtype=bool), WIDTH, witnesses=cycle)
    assert result.lower.tolist() == [1, 3, 2, 7]
    assert result.upper.tolist() == [3, 5, 4, 9]
    assert len(result.witnesses) == 0
    # with d published the same point moves a published cell, and a point moving a alone
    # breaks both of its totals: neither is taken, and the LP exposes a, b and c again
    hidden = np.array([True, True, True, False])
    wrong = Witnesses(sparse.csr_matrix(np.array([[2.0, -2.0, -2.0, 2.0], [3.0, 0, 0, 0]])))
    result = audit(system, hidden, WIDTH, witnesses=wrong)
    assert result.exposed.tolist() == [0, 1, 2]
    assert result.lower.tolist() == result.upper.tolist() == [1, 5, 4]


def test_a_point_off_by_one_person_is_refused_however_large_its_terms():
    # x + y = t, all suppressed; a point moving x and t by a hundred million keeps the total,
    # the same point with t one person further does not, and is refused
    system = small_system([3, 4, 7], [{0: 1, 1: 1, 2: -1}])
    intruder = IntruderSystem(system, np.ones(3, dtype=bool))
    points = sparse.csr_matrix(np.array([[1e8, 0, 1e8], [1e8, 0, 1e8 + 1]]))
    assert intruder.feasible(points).tolist() == [True, False]


def test_the_intruders_sub_lps_cut_the_matrix_as_scipy_slicing_does():
    # three relations over five suppressed cells; rows and columns picked out of order
    system = small_system(
        [1, 2, 2, 1, 3], [{0: 1, 1: 1, 4: -1}, {2: 1, 3: 1, 4: -1}, {0: 1, 3: 1, 2: -1}]
    )
    intruder = IntruderSystem(system, np.ones(5, dtype=bool))
    rows, columns = np.array([0, 2]), np.array([3, 0, 4])
    start, index, value = intruder._submatrix(rows, columns)
    expected = intruder.matrix[rows][:, columns].tocsc()
    assert start.tolist() == expected.indptr.tolist() == [0, 1, 3, 4]
    assert index.tolist() == expected.indices.tolist() == [1, 0, 1, 0]
    assert value.tolist() == expected.data.tolist() == [1.0, 1.0, 1.0, -1.0]


def test_the_repair_looks_past_a_relation_whose_other_cells_are_all_suppressed():
    # x + y = t with all three suppressed; y + p = q and t + r = s published around them give
    # y = 4 and t = 7, so x = 3. x's own relation has nothing to suppress: the repair takes the
    # smallest published cell one relation further, p = 10 (not q 14, r 20 or s 27)
    x, y, t, p, q, r, s = range(7)
    system = small_system(
        [3, 4, 7, 10, 14, 20, 27],
        [{x: 1, y: 1, t: -1}, {y: 1, p: 1, q: -1}, {t: 1, r: 1, s: -1}],
    )
    hidden = np.array([True, True, True, False, False, False, False])
    result = audit(system, hidden, WIDTH)
    assert set(result.exposed.tolist()) == {x, y, t}
    assert repair_candidates(system, hidden, np.array([x])).tolist() == [p]
    # y's and t's own relations hold published cells: the smaller of each
    assert repair_candidates(system, hidden, np.array([y, t])).tolist() == [p, r]


def test_a_total_with_one_suppressed_part_takes_the_cheapest_other_part():
    # parts 3 (primary), 8, 20 of a total 31: the 8 goes, not the 20 or the total
    system = small_system([3, 8, 20, 31], [{0: 1, 1: 1, 2: 1, 3: -1}])
    primary = primary_suppression(system.values)
    assert primary.tolist() == [True, False, False, False]
    assert close_totals(system, primary).tolist() == [True, True, False, False]


def test_a_table_without_counts_or_rows_passes_through(tables):
    frames = {
        "success_criteria_monthly": success([]),
        "case_selection": pd.DataFrame({"municipality_code": [101], "success_change": [0.1]}),
    }
    publication = suppress_export(frames, tables, RULES)
    assert publication.tables["case_selection"].equals(frames["case_selection"])
    assert publication.suppressions["success_criteria_monthly"]["suppressed_cells"] == 0
    assert attack(frames, publication, tables)[1].cells.size == 0


def test_every_integer_figure_of_an_exported_mart_has_a_disclosure_role():
    """A count added to a mart without a declared role would be published unprotected."""
    from stv_pipeline import dbt_manifest
    from stv_pipeline.exports.dictionary import exported_marts

    undeclared = [
        (mart.name, column.name)
        for mart in dbt_manifest.marts()
        if mart.name in exported_marts()
        for column in mart.columns
        if column.data_type in {"bigint", "integer", "hugeint"}
        and not column.meta.get("disclosure")
        # months of lag or maturity and ranks: integers, but not counts of persons
        and column.name
        not in {"lag_months", "mature_months", "rank_success", "rank_fidelity", "selection_order"}
    ]
    assert undeclared == []


def test_a_table_of_selected_rows_makes_no_total_of_its_own(tables):
    """nowcast holds only the provisional months' cells: alle there is not the sum of the
    groups it happens to hold, so alone it forms no relation (it would be false)."""
    month = date(2019, 3, 1)
    frames = {
        "nowcast": nowcast(
            [(101, month, KH, "population", 3), (101, month, "alle", "population", 33)]
        )
    }
    system = build_system(frames, tables, RULES)
    assert system.equations.empty
    publication = suppress_export(frames, tables, RULES)
    assert publication.masks["nowcast"]["observed"].tolist() == [True, False]


def test_a_small_provider_tally_is_not_given_back_by_the_providers_sum(tables):
    """Nyborg 6 March: the jobcentre counts 40; its two providers 3 and 30, summing to 33.
    The 3 alone hidden, 33 - 30 gives it back; so one more cell of that sum is hidden, and
    the jobcentre's own count (not a part of the sum) stays published."""
    day = date(2017, 3, 6)
    frame = pd.DataFrame(
        {
            "municipality_code": [450, 450],
            "extract_date": [day, day],
            "measure": ["active_company_placements"] * 2,
            "provider": ["anden aktør", "jobmentor"],
            "provider_count": [3, 30],
            "jobcentre_count": [40, 40],
            "provider_share": [3 / 40, 30 / 40],
            "providers_sum": [33, 33],
            "n_providers": [2, 2],
            "gap_abs": [-7, -7],
            "gap_rel": [-7 / 40, -7 / 40],
            "flagged": [True, True],
            "provisional": [False, False],
        }
    )
    frames = {"monitoring_by_provider": frame}
    # only the 3 and its share hidden, as a table-by-table rule would leave it
    weak = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    weak.loc[0, ["provider_count", "provider_share"]] = True
    weakened = Publication(
        published_tables(frames, {"monitoring_by_provider": weak}),
        {"monitoring_by_provider": weak},
        {},
    )
    exposed, result = exposed_cells(frames, weakened, tables)
    assert exposed == {("active_company_placements", "450", "2017-03-06", "")}
    assert result.lower.tolist() == [3.0] and result.upper.tolist() == [3.0]

    joint = suppress_export(frames, tables, RULES)
    mask = joint.masks["monitoring_by_provider"]
    assert mask["provider_count"].tolist()[0] and mask["provider_share"].tolist()[0]
    # a second cell of the sum hidden: the other tally or the sum itself
    assert mask["provider_count"].all() or mask["providers_sum"].all()
    assert not mask["jobcentre_count"].any()
    assert exposed_cells(frames, joint, tables)[0] == set()


def test_two_cells_share_a_row_when_some_inequality_holds_both():
    from scipy import sparse

    from stv_pipeline.exports.audit import _share_a_row

    # rows x cells: cell 0 in rows 0 and 1, cell 1 in row 1, cell 2 in none, cell 3 in row 0
    held = sparse.csc_matrix(np.array([[1, 0, 0, 1], [1, 1, 0, 0]]))
    shared = _share_a_row(held, np.array([0, 2, 1, 0]), np.array([1, 1, 3, 3]))
    assert list(shared) == [True, False, False, True]
    assert list(_share_a_row(held, np.array([], int), np.array([], int))) == []


def test_a_cell_is_found_by_its_dimensions_with_another_vintage():
    """ContextCells: an occurrence's dimensions with the vintage replaced find that vintage's
    cell; a vintage no occurrence has, or one the area lacks, finds none (-1)."""
    occurrences = pd.DataFrame(
        {
            "measure": ["population"] * 4,
            "area": ["450", "450", "461", "450"],
            "period": ["2019-01-01"] * 4,
            "group": ["alle"] * 4,
            "vintage": ["2019-02-15", "2019-03-15", "2019-03-15", "2019-03-15"],
            "detail": [""] * 4,
            "context": [0, 1, 2, 1],  # the last repeats the second (another table's row)
            "cell": [10, 11, 12, 11],
        }
    )
    found = ContextCells(occurrences).cells(
        np.array([1, 2, 3, 0]),
        vintage=np.array(["2019-02-15", "2019-02-15", "2019-02-15", "2018-12-15"]),
    )
    assert found.tolist() == [10, -1, 10, -1]
