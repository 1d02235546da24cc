"""A Report as one HTML page: what a student looks at first.

At the top the score and, when failures follow from a mistake elsewhere
(error carried forward), where to start: "Start here: forget_gate; 21 other
failures follow from it.", the function linked to its own failed test. Then
the score by part, and each failed test: its points (the credit it kept, when
carried forward, and the function to fix first), the likely mistake when the
grader named one (its `diagnosis`), the message, failing example and hint,
and plots of where the values go wrong (its `plots`, drawn with matplotlib,
figures.py); tests whose code gave no result for the same reason are shown
once. The passed tests last, folded.

The page is one file: style inline, images as data: URIs, nothing fetched
(markup.py). `test_fragment` and `part_fragment` are parts of it without the
page around them, for Gradescope's results.json (gradescope.py) and
nbgrader's feedback (integrations/nbgrader_preprocessors.py).

    from autograder.report.html import write_page
    write_page(folder, report)      # folder/<submission>.html
"""
from collections import defaultdict
from pathlib import Path

from . import figures
from .json_report import write_atomic
from .markup import anchor, document, esc, href, points, table

NO_MATPLOTLIB = ("The plots are not drawn here: matplotlib is not installed where this page was made "
                 "(pip install -e '.[plot]'); the numbers behind them are listed instead.")


def write_page(folder, report, *, overview=None):
    """Write `report`'s page to folder/<submission>.html; returns its path."""
    path = Path(folder) / f"{report.submission}.html"
    write_atomic(path, submission_page(report, overview=overview))
    return path


def submission_page(report, *, overview=None):
    """The HTML page of `report` (a Report). overview: the name of the class page beside it, linked at the top."""
    failed = failed_tests(report)
    body = [header(report, failed, overview), parts_section(report, failed)]
    if report.error:
        body.append(f'<p class="error" role="alert"><strong>Could not grade this submission:</strong> '
                    f'{esc(report.error)}</p>')
    else:
        body.append(failures_section(report, failed))
        body.append(passed_section(report))
    body.append(footer(report))
    title = f"{report.submission}: {points(report.score)} / {points(report.max_score)} (Module 6 report)"
    return document(title, "\n".join(body), description=f"Autograder report of {report.submission}")


def failed_tests(report):
    return [test for test in report.tests if test.status == "failed" and test.counted]


def header(report, failed, overview):
    crumbs = f'<p class="muted"><a href="{href(overview, "")}">Class overview</a></p>\n' if overview else ""
    counted = [test for test in report.tests if test.counted]
    summary = f"{len(failed)} of {len(counted)} tests failed" if failed else f"all {len(counted)} tests passed"
    if report.error:
        summary = "could not be graded"
    return (f"<header>\n{crumbs}<h1>Module 6 report: {esc(report.submission)}</h1>\n"
            f'<p class="lead"><strong>{points(report.score)} / {points(report.max_score)} points</strong>'
            f" · {summary}</p>\n{start_here_html(report)}</header>")


def start_here_html(report):
    """The report's lead when failures follow from a mistake elsewhere: where to start
    (scoring.start_here_lines' words), each function linked to its own first failed test."""
    from ..scoring import start_here_lines
    roots = report.extra.get("start_here") or []
    if not roots or report.error:
        return ""
    targets = own_failures(report)
    lines = []
    for root, line in zip(roots, start_here_lines(roots)):
        lead, rest = line.split(": ", 1)
        function = root["function"]
        name = (f'<a href="#{anchor("test", targets[function])}">{esc(function)}</a>' if function in targets
                else esc(function))
        text = esc(rest).replace(esc(function), name, 1)
        lines.append(f"<p><strong>{esc(lead)}:</strong> {text}</p>" if lead == "Start here"
                     else f"<p>{esc(lead)}: {text}</p>")
    return '<div class="start-here" role="note">\n' + "\n".join(lines) + "\n</div>\n"


def own_failures(report):
    """function -> the number of the first failed test that finds it wrong itself (not carried forward)."""
    from ..scoring import failed_function
    found = {}
    for test in failed_tests(report):
        function = None if test.extra.get("carried_forward") else failed_function(test)
        if function and function not in found:
            found[function] = test.number
    return found


def parts_section(report, failed):
    failing_parts = {test.part_number for test in failed}
    rows = []
    for part in report.parts:
        if not part.tests and not part.max_score:
            continue
        title = esc(f"Part {part.number} {part.title}")
        if part.number in failing_parts and not report.error:
            title = f'<a href="#{anchor("part", part.number)}">{title}</a>'
        rows.append([title, f"{points(part.score)} / {points(part.max_score)}", f"{part.passed} of {part.tests}"])
    return ('<section aria-labelledby="score-by-part">\n<h2 id="score-by-part">Score by part</h2>\n'
            + table(["Part", "Points", "Tests passed"], rows, numeric=(1, 2)) + "\n</section>")


def failures_section(report, failed):
    if not failed:
        return ('<section aria-labelledby="failed">\n<h2 id="failed">Failed tests</h2>\n'
                '<p class="ok">Every test passed.</p>\n</section>')
    by_part = defaultdict(list)
    for test in failed:
        by_part[test.part_number].append(test)
    parts = {part.number: part for part in report.parts}
    targets = own_failures(report)
    blocks = ['<section aria-labelledby="failed">\n<h2 id="failed">Failed tests</h2>']
    if any(test.extra.get("plots") for test in failed) and not figures.available():
        blocks.append(f'<p class="muted">{esc(NO_MATPLOTLIB)}</p>')
    for number, tests in by_part.items():
        title = parts[number].title if number in parts else ""
        blocks.append(f'<h3 id="{anchor("part", number)}">Part {number} {esc(title)}: {len(tests)} failed</h3>')
        for group in same_crash_groups(tests):
            blocks.append(test_article(group[0], targets) if len(group) == 1 else group_article(group))
    blocks.append("</section>")
    return "\n".join(blocks)


def same_crash_groups(tests):
    """`tests` in groups, in order: the tests whose code gave no result for the same reason
    (e.g. "lstm.py is not in your submission") together, each other test alone."""
    groups = {}
    for test in tests:
        first = test.output.split("\n", 1)[0]
        crashed = test.cause == "crash" and not any(test.extra.get(k) for k in ("plots", "diagnosis",
                                                                                 "carried_forward"))
        key = ("crash", first.split(": ", 1)[-1]) if crashed else ("test", test.number)
        groups.setdefault(key, []).append(test)
    return list(groups.values())


def group_article(tests):
    """Tests that failed for one reason: the reason once, with the first test's whole message, the tests folded."""
    reason = tests[0].output.split("\n", 1)[0].split(": ", 1)[-1]
    lost = sum(test.max_score for test in tests)
    items = "\n".join(f'<li id="{anchor("test", t.number)}"><span class="number">{esc(t.number)}</span>'
                      f'{esc(t.name)}</li>' for t in tests)
    return (f'<article class="test">\n<h4>{len(tests)} tests: {esc(reason)} · '
            f'<span class="points">0 / {points(round(lost, 4))} points</span></h4>\n'
            f'<pre>{esc(tests[0].output)}</pre>\n'
            f'<details><summary>The {len(tests)} tests</summary>\n<ul class="passed">\n{items}\n</ul></details>\n'
            f"</article>")


def test_article(test, targets=None):
    """One failed test: its title and points, where its mistake is (carried forward) or what it
    likely is (diagnosis), the feedback, the plots. targets: own_failures(), for links."""
    kept = " kept" if test.score else ""
    score = f'<span class="points{kept}">{points(test.score)} / {points(test.max_score)} points</span>'
    parts = [f'<article class="test" id="{anchor("test", test.number)}">',
             f'<h4><span class="number">{esc(test.number)}</span>{esc(test.name)} · {score}</h4>']
    if test.grader_error:
        parts.append('<p class="error">The grader itself failed here; this is not the student\'s mistake.</p>')
    parts.append(carried_html(test, targets or {}))
    parts.append(diagnosis_html(test))
    parts.append(f'<pre>{esc(feedback_text(test))}</pre>')
    parts += [plot_html(plot) for plot in test.extra.get("plots", [])]
    parts.append("</article>")
    return "\n".join(part for part in parts if part)


def carried_html(test, targets):
    """Where a failure that follows from a mistake elsewhere (carried_forward) should be fixed,
    and the credit it kept; "" for any other test."""
    carried = test.extra.get("carried_forward")
    if not carried:
        return ""
    culprit = carried["from"][0]
    where = (f'<a href="#{anchor("test", targets[culprit])}">{esc(culprit)}</a>' if culprit in targets
             else esc(culprit))
    credit = (f"credit kept: {points(carried['kept'])} of {points(test.max_score)} points" if carried["kept"]
              else "no credit kept (this course counts such errors again)")
    return (f'<div class="carried" role="note"><p><strong>Follows from a mistake in {where}</strong> · '
            f"{credit}</p></div>")


def feedback_text(test):
    """The test's message, less the line naming its diagnosis (the page shows that above it, boxed)."""
    diagnosis = test.extra.get("diagnosis")
    if not diagnosis:
        return test.output
    return "\n".join(line for line in test.output.split("\n")
                     if not (line.startswith("Likely mistake") and diagnosis["title"] in line))


def diagnosis_html(test):
    """The likely misconception of a failed test, or "" without one."""
    diagnosis = test.extra.get("diagnosis")
    if not diagnosis:
        return ""
    return (f'<div class="diagnosis" role="note"><p><strong>Likely mistake: {esc(diagnosis["title"])}</strong></p>'
            f'<p>{esc(diagnosis.get("explanation", ""))}</p></div>')


def plot_html(plot, *, numbers=True):
    """A plot as a figure (an image when matplotlib is there) with its numbers folded below."""
    title, alt = esc(plot["title"]), esc(figures.describe(plot))
    table_html = plot_table(plot)
    if not figures.available():
        return f'<figure><figcaption>{title}</figcaption>\n{table_html}</figure>'
    image = (f'<img src="{figures.data_uri(figures.plot_png(plot))}" alt="{alt}" '
             f'width="{round(figures.WIDTH_IN * figures.DPI)}" height="{round(figures.HEIGHT_IN * figures.DPI)}">')
    folded = f"\n<details><summary>The numbers</summary>\n{table_html}</details>" if numbers else ""
    return f"<figure>{image}\n<figcaption>{title}</figcaption>{folded}</figure>"


def plot_table(plot):
    """The numbers of a plot: one row per x, one column per series."""
    names = list(plot["series"])
    marked = set(plot.get("highlight", []))
    rows = []
    for i, x in enumerate(plot["x"]):
        values = [plot["series"][n][i] if i < len(plot["series"][n]) else None for n in names]
        label = esc(f"{x:g}" if isinstance(x, (int, float)) else x) + (" (beyond tolerance)" if x in marked else "")
        rows.append([label] + ["–" if v is None else f"{v:.4g}" for v in values])
    return table([esc(plot.get("x_label") or "x")] + [esc(n) for n in names], rows,
                 numeric=tuple(range(1, len(names) + 1)))


def passed_section(report):
    passed = [test for test in report.tests if test.status == "passed" and test.counted]
    skipped = [test for test in report.tests if not test.counted]
    items = "\n".join(f'<li><span class="number">{esc(t.number)}</span>{esc(t.name)}</li>' for t in passed)
    html = ['<section aria-labelledby="passed">\n<h2 id="passed">Passed tests</h2>']
    if passed:
        html.append(f"<details><summary>{len(passed)} tests passed</summary>\n"
                    f'<ul class="passed">\n{items}\n</ul></details>')
    else:
        html.append("<p>None yet.</p>")
    if skipped:
        reasons = sorted({test.output.removeprefix("skipped: ") for test in skipped})
        html.append(f'<p class="muted">{len(skipped)} tests did not count: {esc("; ".join(reasons))}.</p>')
    html.append("</section>")
    return "\n".join(html)


def footer(report):
    tier = report.sandbox.get("tier")
    bits = [f"graded in {report.execution_time:g} s"] + ([f"sandbox: {esc(tier)}"] if tier else [])
    if report.grader_errors:
        bits.append(f"{report.grader_errors} grader error(s): please tell your instructor")
    return f'<footer><p>{" · ".join(bits)} · from {esc(report.submission)}.json</p></footer>'


# --- fragments, for Gradescope and nbgrader ---------------------------------------

def test_fragment(test, *, max_plots=1, feedback=True):
    """One failed test as an HTML fragment (no page around it): where its mistake is
    (carried forward), its diagnosis, its feedback (unless `feedback` is false) and its
    first `max_plots` plots."""
    parts = [carried_html(test, {}), diagnosis_html(test)]
    parts += [f"<pre>{esc(feedback_text(test))}</pre>"] if feedback else []
    if figures.available():
        parts += [plot_html(plot, numbers=False) for plot in test.extra.get("plots", [])[:max_plots]]
    return "\n".join(part for part in parts if part)


def shows_more_than_text(test):
    """Whether a failed test has something HTML shows better than its text: a diagnosis or plots."""
    return test.status == "failed" and bool(test.extra.get("diagnosis") or test.extra.get("plots"))


def part_fragment(report, part_number):
    """The failed tests of one part that have a diagnosis or plots, as HTML (their
    text feedback is printed beside it, nbgrader's grade cells); "" when there are none."""
    tests = [test for test in failed_tests(report) if test.part_number == part_number
             and (test.extra.get("diagnosis") or (test.extra.get("plots") and figures.available()))]
    return "\n".join(f'<section><p><strong>{esc(test.number)} {esc(test.name)}</strong></p>\n'
                     f"{test_fragment(test, feedback=False)}</section>" for test in tests)
