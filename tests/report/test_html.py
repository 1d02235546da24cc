"""The HTML writer (autograder/report/html.py) on reports made up here: what a
submission's page says must follow from its report. The pages of real
reports are opened in a real browser by test_html_in_browser.py."""
import base64
import re

from autograder.report import figures, html
from autograder.report.markup import CSP
from autograder.report.model import TestResult

from made_up_reports import CURVES, PER_BLOCK, PER_STEP, report, made_test

DIAGNOSIS = {"id": "rnn_backward_no_carry", "title": "no dh carried from step t+1 to step t",
             "explanation": "Carry it back through the loop."}
CARRIED = {"function": "rnn_gradient_norms", "from": ["rnn_backward"], "built_from": ["rnn_forward", "rnn_backward"],
           "kept": 0.9}


def carried_report():
    """rnn_backward wrong (3.2, diagnosed, plotted), two Part 8 tests failing because of it (credit kept)."""
    return report("eve", [
        made_test("3.1", "passed"),
        made_test("3.2", "failed", max_score=2.0, output=f"rnn_backward: dX differs <at t=0>\nLikely mistake, in "
                  f"rnn_backward: {DIAGNOSIS['title']}. Carry it back.\nHint: carry dh.", cause="value",
                  diagnosis=DIAGNOSIS, plots=[PER_STEP, PER_BLOCK]),
        made_test("8.3", "failed", score=0.9, output="rnn_gradient_norms: g[0] is 0\nrnn_gradient_norms matches what"
                  " your own rnn_forward and rnn_backward give (credit kept: 0.9 of 1 points). Start there.",
                  cause="value", carried_forward=CARRIED, plots=[CURVES]),
        made_test("8.8", "failed", score=0.9, output="rnn_gradient_norms: g[1] is 0", cause="value",
                  carried_forward=CARRIED),
    ], start_here=[{"function": "rnn_backward", "follow": 2}])


def ids_of(page):
    return set(re.findall(r'\bid="([^"]+)"', page))


def local_anchors(page):
    return re.findall(r'href="#([^"]+)"', page)


def test_the_page_leads_with_where_to_start_linked_to_that_functions_own_failure():
    """Does a report with start_here open, above the parts, with the summary's "Start here" words,
    the function linked to its own failed test (not to a test that only follows from it)?"""
    page = html.submission_page(carried_report())
    lead = page[page.index('class="start-here"'):page.index('id="score-by-part"')]
    assert "<strong>Start here:</strong>" in lead and "2 other failures follow from it." in lead
    assert '<a href="#test-3.2">rnn_backward</a>' in lead
    assert all(target in ids_of(page) for target in local_anchors(page))


def test_no_lead_without_a_root_cause():
    """Is there no "Start here" box when no failure follows from another function's mistake?"""
    plain = report("ann", [made_test("3.1", "passed"), made_test("3.2", "failed", output="rnn_backward: wrong")])
    assert "start-here" not in html.submission_page(plain).split("</style>")[1]


def test_a_carried_failure_shows_its_kept_credit_and_where_to_fix_it():
    """Does a test carried forward show the points it kept, and name (and link) the function to fix first?"""
    page = html.submission_page(carried_report())
    article = page[page.index('id="test-8.3"'):page.index('id="test-8.8"')]
    assert "0.9 / 1 points" in article and "credit kept: 0.9 of 1 points" in article
    assert 'Follows from a mistake in <a href="#test-3.2">rnn_backward</a>' in article
    none_kept = html.test_article(TestResult.from_dict(made_test(
        "8.3", "failed", output="x", carried_forward={**CARRIED, "kept": 0.0})), {})
    assert "no credit kept" in none_kept and "0 / 1 points" in none_kept


def test_a_diagnosis_is_shown_once_above_the_message():
    """Is the likely mistake boxed above the message, and its line in the message not repeated below?"""
    page = html.submission_page(carried_report())
    article = page[page.index('id="test-3.2"'):page.index('id="test-8.3"')]
    assert article.count(DIAGNOSIS["title"]) == 1
    assert article.index("Likely mistake: no dh carried") < article.index("rnn_backward: dX differs &lt;at t=0&gt;")
    assert "Hint: carry dh." in article


def test_each_plot_is_an_inline_image_with_its_numbers():
    """Is each plot a decodable inline PNG with an alt text saying what it shows, its numbers folded below?"""
    page = html.submission_page(carried_report())
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 3 if figures.available() else not images
    for data, alt in images:
        assert base64.b64decode(data).startswith(b"\x89PNG") and alt.strip()
    assert page.count("<summary>The numbers</summary>") == len(images)


def test_without_matplotlib_the_numbers_stand_in_for_the_plots(monkeypatch):
    """With matplotlib missing, does the page say so and list each plot's numbers instead of an image?"""
    monkeypatch.setattr(figures, "available", lambda: False)
    page = html.submission_page(carried_report())
    assert "<img" not in page and "matplotlib is not installed" in page
    assert "dW_hh (beyond tolerance)" in page and "<td class=num>0.3</td>" in page


def test_the_page_is_one_file_that_fetches_nothing():
    """Does the page forbid every fetch (CSP), hold no script, and point nowhere off the page's folder?"""
    page = html.submission_page(carried_report(), overview="index.html")
    assert f'content="{CSP}"' in page and "<script" not in page
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)
    assert 'href="index.html"' in page


def test_tests_that_crashed_alike_are_shown_once():
    """Are tests whose code gave no result for the same reason grouped, and the others kept apart?"""
    tests = report("bo", [
        made_test("4.1", "failed", output="forget_gate: lstm.py is not in your submission", cause="crash"),
        made_test("4.2", "failed", output="cell_state: lstm.py is not in your submission", cause="crash"),
        made_test("4.3", "failed", output="cell_state: returned None", cause="type"),
        made_test("4.4", "failed", output="hidden_state: lstm.py is not in your submission", cause="crash",
                  diagnosis=DIAGNOSIS)]).tests
    assert [[t.number for t in g] for g in html.same_crash_groups(tests)] == [["4.1", "4.2"], ["4.3"], ["4.4"]]


def test_an_unreadable_submission_says_why_and_lists_no_failure():
    """Does a report that could not be graded say why, with the parts' zeros and no list of failed tests?"""
    page = html.submission_page(report("zed", [made_test("1.1", "failed", output="not a zip")], error="not a zip"))
    assert "Could not grade this submission:</strong> not a zip" in page and 'id="failed"' not in page
    assert "could not be graded" in page


def test_fragments_for_gradescope_and_nbgrader_hold_no_page_around_them():
    """Is a test's fragment its diagnosis, message and first plot only, and a part's fragment its
    diagnosed or plotted tests without their messages?"""
    eve = carried_report()
    fragment = html.test_fragment(eve.tests[1])
    assert "<html" not in fragment and "Likely mistake: no dh carried" in fragment and "<pre>" in fragment
    assert fragment.count("<img") == (1 if figures.available() else 0)
    part = html.part_fragment(eve, 8)
    assert "8.3" in part and "<pre>" not in part
    assert ("8.8" in part) is False   # carried forward, but neither diagnosed nor plotted
    assert html.part_fragment(eve, 1) == ""
