"""The HTML pages, as a person sees them: in a real browser (Debian's
chromium, headless; see tests/browser.py).

A batch of the bundled examples, three wrong corpus cases with plots (one
whose failures follow from one mistake: "Start here" and credit carried
forward) and an unreadable zip is graded once with `grade --html`, which
writes a page per submission and the class overview. A copy of its reports
with a made-up diagnosis in two failed tests gets its pages from
`class-report`, which draws again only those two. Every page must load with
no console error, every image must have decoded, every link must lead
somewhere that exists, and headings and alt texts must be there. A
full-page screenshot of each page is saved under build/screenshots/.

Without chromium, chromedriver or selenium the browser tests skip, saying
why; in CI (CI=true) they fail instead.
"""
import html
import html.parser
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.report import figures
from autograder.report.html import submission_page
from autograder.report.model import Report

try:
    import browser
except ModuleNotFoundError:  # tests/ imported as a package
    from tests import browser

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "submissions"
SCREENSHOTS = ROOT / "build" / "screenshots"
# A missing carry (per-step and per-block plots, Part 8 carried forward), an off-by-one truncation
# (chunk boundaries marked), Part 8's norms beside the reference's.
WRONG_CASES = ("rnn_backward_no_carry", "rnn_backward_truncate_off_by_one", "rnn_norms_loss_on_every_step")
CARRIED = "wrong_rnn_backward_no_carry"
# Added to copies of two reports, in their first failed test.
DIAGNOSES = {
    "alice": {"id": "made_up_alice", "title": "a mistake made up for alice",
              "explanation": "The test adds it to her report: class-report must draw her page again."},
    "carol": {"id": "made_up_carol", "title": "a mistake made up for carol",
              "explanation": "The test adds it to her report: class-report must draw her page again."},
}
COMMAND_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def chromium():
    browser.require()
    with browser.Browser(SCREENSHOTS) as session:
        yield session


def autograder(*args):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def graded(grading, tmp_path_factory):
    """The reports folder of `grade --html` on the examples, three wrong corpus cases and an unreadable zip."""
    work = tmp_path_factory.mktemp("pages-submissions")
    corpus = grading.corpus_module()
    cases = {case.name: case for case in corpus.load_wrong_cases()}
    wrong = [corpus.materialize_wrong(cases[name], work / f"wrong_{name}") for name in WRONG_CASES]
    (work / "unreadable.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    out = tmp_path_factory.mktemp("pages")
    done = grading.grade_cli([*sorted(EXAMPLES.iterdir()), *wrong, work / "unreadable.zip"], out,
                             extra=("--html",))
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def diagnosed(graded, tmp_path_factory):
    """A copy of the reports with a diagnosis in two failed tests, and its pages by class-report."""
    out = tmp_path_factory.mktemp("pages-diagnosed")
    for path in sorted(graded.iterdir(), key=lambda p: p.suffix != ".json"):   # pages after their reports
        shutil.copy2(path, out)   # the times too: class-report draws again only the pages of changed reports
    numbers = {}
    for name, diagnosis in DIAGNOSES.items():
        path = out / f"{name}.json"
        report = json.loads(path.read_text())
        test = next(t for t in report["tests"] if t["status"] == "failed")
        test["diagnosis"], numbers[name] = diagnosis, test["number"]   # in place of its own, if it has one
        path.write_text(json.dumps(report))
    done = autograder("class-report", out)
    assert done.returncode == 0, done.stderr
    assert f"and {len(DIAGNOSES)} submission page(s)" in done.stderr   # only the changed reports' pages
    return out, numbers


def page_ids(path):
    """The ids in the page at `path` (for links into another page)."""
    class Ids(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids = set()

        def handle_starttag(self, tag, attrs):
            self.ids.update(value for key, value in attrs if key == "id")
    parser = Ids()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    return parser.ids


@pytest.fixture(scope="module")
def visits(chromium, graded, diagnosed):
    """The pages as the browser showed them: {(folder tag, page name): Visit}; every page
    `grade --html` wrote, and those class-report wrote again after diagnoses were added."""
    folder, _ = diagnosed
    found = {("graded", page.stem): chromium.visit(page, name=f"graded-{page.stem}")
             for page in sorted(graded.glob("*.html"))}
    for name in ("index", *DIAGNOSES):
        found["diagnosed", name] = chromium.visit(folder / f"{name}.html", name=f"diagnosed-{name}")
    return found


def test_grade_html_writes_a_page_per_report_and_the_overview(graded):
    """Did `grade --html` write index.html and one page beside each report?"""
    reports = {p.stem for p in graded.glob("*.json")} - {"summary"}
    assert {p.stem for p in graded.glob("*.html")} == reports | {"index"}
    assert {"alice", "bob", "carol", "reference_solution", "blank_release", "unreadable", CARRIED} <= reports


def test_every_page_loads_without_console_errors(visits, graded):
    """Does each page load with nothing on the console at error level (a failed fetch, a CSP violation)?"""
    errors = {key: browser.console_errors(v) for key, v in visits.items()}
    assert len(visits) == len(list(graded.glob("*.html"))) + 1 + len(DIAGNOSES)
    assert not any(errors.values()), {k: e for k, e in errors.items() if e}


def test_every_image_has_decoded(visits):
    """Has every image decoded (naturalWidth > 0), with the plotted pages showing several?"""
    assert {key: browser.broken_images(v) for key, v in visits.items() if browser.broken_images(v)} == {}
    if figures.available():
        for name in ("alice", "carol", *[f"wrong_{c}" for c in WRONG_CASES], "index"):
            assert visits["graded", name].images, f"{name}: no image"
        assert len(visits["graded", CARRIED].images) >= 3


def test_every_link_resolves(visits):
    """Does every link lead to a page beside it, and every anchor to an element that exists?"""
    cache = {}

    def ids_of(path):
        if path not in cache:
            cache[path] = page_ids(path)
        return cache[path]
    bad = {key: browser.unresolved_links(v, ids_of) for key, v in visits.items()}
    assert not any(bad.values()), {k: b for k, b in bad.items() if b}
    index = visits["graded", "index"]
    assert {f"{n}.html" for n in ("alice", "bob", "carol", "unreadable")} <= set(index.links)
    assert "index.html" in visits["graded", "alice"].links


def test_headings_and_alt_texts_are_present(visits):
    """Has each page a title, a language, one h1, headings in order, and a text for every image?"""
    problems = {key: browser.heading_problems(v) + [f"no alt: {s}" for s in browser.images_without_alt(v)]
                for key, v in visits.items()}
    assert not any(problems.values()), {k: p for k, p in problems.items() if p}
    headings = [text for _, text in visits["graded", "index"].headings]
    for section in ("Scores", "Parts", "Tests most often failed", "Most common misconceptions", "Submissions"):
        assert section in headings


def test_the_misconceptions_are_counted_and_linked(visits, graded, diagnosed):
    """Does the overview list each misconception the grader named, and those added later, with the
    submissions that show them, linked to the test?"""
    folder, numbers = diagnosed
    reports = {p.stem: json.loads(p.read_text()) for p in graded.glob("*.json") if p.stem != "summary"}
    named = {(name, t["number"]): t["diagnosis"]["title"] for name, r in reports.items() for t in r["tests"]
             if t["status"] == "failed" and t.get("diagnosis")}
    assert named, "the grader named no misconception in the batch"
    overview = html.unescape((graded / "index.html").read_text())
    assert all(title in overview for title in named.values())
    index = visits["diagnosed", "index"]
    for name, number in numbers.items():
        assert f"{name}.html#test-{number}" in index.links
        page = html.unescape((folder / f"{name}.html").read_text())
        assert f"Likely mistake: {DIAGNOSES[name]['title']}" in page


def test_a_student_page_shows_the_score_by_part_and_what_failed(graded):
    """Does carol's page give her score, each part's points, and each failed test with its message
    (tests that crashed for one reason, such as a missing file, under that reason once)?"""
    report = json.loads((graded / "carol.json").read_text())
    page = html.unescape((graded / "carol.html").read_text())
    assert f"{report['score']:g} / {report['max_score']:g} points" in page
    for part in report["parts"]:
        if part["tests"]:
            assert f"Part {part['number']} {part['title']}" in page
    ids = page_ids(graded / "carol.html")
    for test in report["tests"]:
        if test["status"] == "failed" and test["outcome"] != "skipped":
            assert f"test-{test['number']}" in ids
            assert test["output"].splitlines()[0].split(": ", 1)[-1] in page


def test_a_page_starts_where_the_failures_follow_from(visits, graded):
    """Does the page of a submission whose failures follow from one mistake lead with "Start here",
    linked to that function's own failed test, and show each carried failure's kept credit?"""
    report = json.loads((graded / f"{CARRIED}.json").read_text())
    root = report["start_here"][0]
    page = (graded / f"{CARRIED}.html").read_text()
    lead = page[page.index('class="start-here"'):page.index('id="score-by-part"')]
    assert "<strong>Start here:</strong>" in lead and f">{root['function']}</a>;" in lead
    assert f"{root['follow']} other failure" in lead
    carried = [t for t in report["tests"] if t.get("carried_forward")]
    assert len(carried) == root["follow"]
    for test in carried:
        article = page[page.index(f'id="test-{test["number"]}"'):]
        article = html.unescape(re.sub(r"<[^>]+>", "", article[:article.index("</article>")]))
        kept = test["carried_forward"]["kept"]
        assert f"{test['score']:g} / {test['max_score']:g} points" in article
        assert f"credit kept: {kept:g} of {test['max_score']:g} points" in article
        assert f"Follows from a mistake in {test['carried_forward']['from'][0]}" in article
    assert visits["graded", CARRIED].screenshot.is_file()


def test_screenshots_are_saved(visits):
    """Is there a non-empty PNG screenshot of every page under build/screenshots/?"""
    for visit in visits.values():
        assert visit.screenshot.is_file() and visit.screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_matplotlib_a_page_says_so_and_shows_the_numbers(chromium, graded, tmp_path, monkeypatch):
    """With matplotlib missing, does a page with plots load cleanly, say why there is no picture, and list the numbers?"""
    monkeypatch.setattr(figures, "available", lambda: False)
    report = Report.from_dict(json.loads((graded / f"{CARRIED}.json").read_text()))
    page = tmp_path / "no_matplotlib.html"
    page.write_text(submission_page(report))
    visit = chromium.visit(page, name="graded-no-matplotlib")
    assert not visit.images and not browser.console_errors(visit) and not browser.heading_problems(visit)
    text = page.read_text()
    assert "matplotlib is not installed" in text and "<table>" in text.split("Failed tests")[1]


def test_gradescope_output_shows_the_first_plot(chromium, graded, tmp_path):
    """Do the HTML outputs results.json gives Gradescope show their image, decoded, with an alt text?"""
    from autograder.report import gradescope
    report = Report.from_dict(json.loads((graded / f"{CARRIED}.json").read_text()))
    results = gradescope.results_json(report)
    gradescope.validate(results)
    outputs = [t["output"] for t in results["tests"] if t.get("output_format") == "html"]
    assert outputs and all("<pre>" in o for o in outputs)
    page = tmp_path / "gradescope.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Gradescope outputs</title>'
                    '</head><body><h1>Gradescope outputs</h1>' + "".join(f"<section>{o}</section>" for o in outputs)
                    + "</body></html>")
    visit = chromium.visit(page, name="gradescope-outputs")
    assert not browser.console_errors(visit) and not browser.broken_images(visit)
    assert not browser.images_without_alt(visit)
    if figures.available():
        plotted = [t for t in report.tests if t.status == "failed" and t.extra.get("plots")]
        assert len(visit.images) == min(len(plotted), gradescope.MAX_IMAGES)
