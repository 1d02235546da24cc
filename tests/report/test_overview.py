"""The class overview (autograder/report/overview.py) on reports made up here:
what it counts must follow from the reports."""
from autograder.report import figures, overview

from made_up_reports import made_test, report

DIAGNOSIS = {"id": "swap", "title": "σ and tanh swapped", "explanation": "Use σ for the gates."}


def test_failure_rates_and_misconceptions_follow_from_the_reports():
    """Does the overview count each test's failures over readable reports, and each diagnosis by submission?"""
    reports = [report("a", [("1.1", "failed", {"diagnosis": DIAGNOSIS}), ("1.2", "passed", {})]),
               report("b", [("1.1", "failed", {"diagnosis": DIAGNOSIS}), ("1.2", "failed", {})]),
               report("c", [("1.1", "passed", {}), ("1.2", "passed", {})]),
               report("d", [("1.1", "failed", {}), ("1.2", "failed", {})], error="not a zip")]
    tests = overview.tests_section(reports)
    assert tests.index(">1.1<") < tests.index(">1.2<")   # 2 of 3 before 1 of 3
    assert "2 of 3" in tests and "1 of 3" in tests
    misconceptions = overview.misconceptions_section(reports)
    assert "σ and tanh swapped" in misconceptions and "<td class=num>2</td>" in misconceptions
    assert 'href="a.html#test-1.1"' in misconceptions and 'href="b.html#test-1.1"' in misconceptions
    assert "not a zip" in overview.problems_section(reports)


def test_each_submission_is_linked_with_where_it_should_start():
    """Does the submissions table link every page (names escaped for a URL) and name the function
    a submission's failures follow from?"""
    reports = [report("bo b#1", [("1.1", "failed", {})], start_here=[{"function": "forget_gate", "follow": 21}]),
               report("ann", [("1.1", "passed", {})])]
    table = overview.submissions_section(reports)
    assert 'href="bo%20b%231.html"' in table and 'href="ann.html"' in table
    assert "forget_gate (21 follow)" in table


def test_grader_errors_are_listed_and_linked_to_their_test():
    """Is a test in which the grader itself failed listed, linked to that test on the submission's page?"""
    broken = report("cy", [made_test("2.1", "failed", output="The grader itself failed", grader_error="KeyError: x")])
    section = overview.problems_section([broken])
    assert 'href="cy.html#test-2.1"' in section and "KeyError: x" in section


def test_histogram_bins_hold_every_score():
    """Does each score land in one bin, full marks in the last, zero in the first?"""
    assert figures.histogram([0, 9.99, 10, 55, 100, 100], 100, 10) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_alt_texts_say_what_the_plots_show():
    """Do the alt texts name the largest error and where, the wrong gradients, and the curves' ends?"""
    step = {"kind": "per_step", "title": "t", "x": [0, 1, 2], "series": {"dX": [0.5, 0.1, 0.0]}, "log_y": True,
            "threshold": 1e-7, "marks": [2], "marks_label": "chunk boundaries (truncate=2)"}
    assert "largest 0.5 at t = 0, 2 of 3 steps beyond" in figures.describe(step)
    assert "chunk boundaries (truncate=2) at t = 2" in figures.describe(step)
    blocks = {"kind": "per_block", "title": "t", "x": ["dX", "dW_hh"], "series": {"relative error": [1e-16, 0.3]},
              "log_y": True, "highlight": ["dW_hh"]}
    assert "Beyond tolerance: dW_hh" in figures.describe(blocks) and "Largest: dW_hh" in figures.describe(blocks)
    curves = {"kind": "curves", "title": "t", "x": [0, 1], "y_label": "g[t]",
              "series": {"yours": [0.0, 1.0], "reference": [0.5, 1.0]}, "log_y": False}
    assert "yours from 0 at t = 0 to 1 at t = 1" in figures.describe(curves)


def test_the_same_plot_data_draws_the_same_picture():
    """Is a plot's PNG the same bytes each time (no time or version stamped in it)?"""
    import pytest
    if not figures.available():
        pytest.skip("matplotlib is not installed (the plot extra)")
    plot = {"kind": "per_block", "title": "t", "x_label": "gradient", "y_label": "relative error",
            "x": ["dX", "dW_hh"], "series": {"relative error": [1e-16, 0.3]}, "log_y": True, "highlight": ["dW_hh"]}
    assert figures.plot_png(plot) == figures.plot_png(plot)
