"""The class overview: one HTML page from a folder's reports, for an instructor
with hundreds of submissions.

How the class did (a score histogram, each part's mean), where it went
wrong (each test's failure rate, the misconceptions the grader diagnosed,
with who shows them), what needs the instructor (grader errors, submissions
that could not be read), and a link to every submission's page (html.py),
with where each should start when failures follow from one mistake.
"""
import statistics
from collections import defaultdict

from . import figures
from .markup import anchor, bar, document, esc, href, points, table

HISTOGRAM_BINS = 10
PAGE_NAME = "index.html"


def class_page(reports):
    """The overview page (HTML) of `reports` (Reports), each page linked as <submission>.html."""
    reports = sorted(reports, key=lambda r: r.submission)
    sections = [("scores", "Scores", scores_section), ("parts", "Parts", parts_section),
                ("tests", "Tests most often failed", tests_section),
                ("misconceptions", "Most common misconceptions", misconceptions_section),
                ("grader-errors", "Grader errors and unreadable submissions", problems_section),
                ("submissions", "Submissions", submissions_section)]
    contents = "".join(f'<li><a href="#{key}">{esc(title)}</a></li>' for key, title, _ in sections)
    body = [summary_header(reports), f'<nav aria-label="Contents"><ul>{contents}</ul></nav>', "<main>"]
    for key, title, make in sections:
        body.append(f'<section aria-labelledby="{key}">\n<h2 id="{key}">{esc(title)}</h2>\n{make(reports)}\n</section>')
    body.append("</main>")
    return document(f"Module 6: class overview ({len(reports)} submissions)", "\n".join(body),
                    description="Autograder results of a whole class")


def counted_tests(report):
    return [test for test in report.tests if test.counted]


def summary_header(reports):
    scores = [r.score for r in reports]
    max_score = max((r.max_score for r in reports), default=0)
    unreadable = sum(1 for r in reports if r.error)
    bits = [f"{len(reports)} submissions"]
    if scores:
        bits.append(f"mean {statistics.fmean(scores):.1f}, median {statistics.median(scores):g} "
                    f"of {points(max_score)} points")
    if unreadable:
        bits.append(f'<a href="#grader-errors">{unreadable} could not be read</a>')
    errors = sum(1 for r in reports if r.grader_errors)
    if errors:
        bits.append(f'<a href="#grader-errors">{errors} with grader errors</a>')
    return f'<header>\n<h1>Module 6: class overview</h1>\n<p class="lead">{" · ".join(bits)}</p>\n</header>'


def scores_section(reports):
    if not reports:
        return "<p>No submissions.</p>"
    scores = [r.score for r in reports]
    max_score = max(r.max_score for r in reports) or 1
    counts = figures.histogram(scores, max_score, HISTOGRAM_BINS)
    width = max_score / HISTOGRAM_BINS
    ranges = [f"{points(round(i * width, 2))}–{points(round((i + 1) * width, 2))}" for i in range(HISTOGRAM_BINS)]
    words = "; ".join(f"{r}: {c}" for r, c in zip(ranges, counts) if c)
    if figures.available():
        image = figures.data_uri(figures.histogram_png(scores, max_score, HISTOGRAM_BINS))
        alt = f"Histogram of {len(scores)} scores out of {points(max_score)}, by range: {words}."
        return (f'<figure><img src="{image}" alt="{esc(alt)}" width="{round(figures.WIDTH_IN * figures.DPI)}" '
                f'height="{round(figures.HEIGHT_IN * figures.DPI)}">\n'
                f"<figcaption>Number of submissions in each score range.</figcaption></figure>")
    rows = [[esc(r), bar(c / max(counts), str(c))] for r, c in zip(ranges, counts)]
    return ('<p class="muted">matplotlib is not installed where this page was made, so the histogram is a '
            'table.</p>\n' + table(["Score", "Submissions"], rows))


def parts_section(reports):
    totals = defaultdict(list)
    titles, maxima = {}, {}
    for report in reports:
        for part in report.parts:
            if part.max_score:
                totals[part.number].append(part.score)
                titles[part.number], maxima[part.number] = part.title, part.max_score
    if not totals:
        return "<p>No parts were scored.</p>"
    rows = []
    for number in sorted(totals):
        mean = statistics.fmean(totals[number])
        share = mean / maxima[number]
        rows.append([esc(f"Part {number} {titles[number]}"), f"{mean:.2f} / {points(maxima[number])}",
                     bar(share, f"{100 * share:.0f} %")])
    return table(["Part", "Mean points", "Mean share"], rows, numeric=(1,))


def tests_section(reports):
    graded = [r for r in reports if not r.error]
    failed, seen, names = defaultdict(list), defaultdict(int), {}
    for report in graded:
        for test in counted_tests(report):
            seen[test.number] += 1
            names[test.number] = test.name
            if test.status == "failed":
                failed[test.number].append(report.submission)
    if not failed:
        return f"<p>No test failed in the {len(graded)} submissions that could be graded.</p>"
    order = sorted(failed, key=lambda n: (-len(failed[n]) / seen[n], number_key(n)))
    rows = [[esc(n), esc(names[n]), f"{len(failed[n])} of {seen[n]}",
             bar(len(failed[n]) / seen[n], f"{100 * len(failed[n]) / seen[n]:.0f} %", wrong=True)] for n in order]
    always = len(seen) - len(failed)
    note = f'<p class="muted">{always} other tests passed in every submission.</p>' if always else ""
    return table(["Test", "What it checks", "Failed", "Failure rate"], rows, numeric=(2,)) + note


def misconceptions_section(reports):
    found = defaultdict(lambda: {"title": "", "explanation": "", "who": defaultdict(list)})
    for report in reports:
        for test in report.tests:
            diagnosis = test.extra.get("diagnosis")
            if test.status == "failed" and diagnosis:
                entry = found[diagnosis["id"]]
                entry["title"], entry["explanation"] = diagnosis["title"], diagnosis.get("explanation", "")
                entry["who"][report.submission].append(test.number)
    if not found:
        return "<p>The grader named no misconception in these reports.</p>"
    rows = []
    for _, entry in sorted(found.items(), key=lambda item: (-len(item[1]["who"]), item[0])):
        who = ", ".join(f'<a href="{href(name, anchor=anchor("test", numbers[0]))}">{esc(name)}</a>'
                        for name, numbers in sorted(entry["who"].items()))
        rows.append([f"<strong>{esc(entry['title'])}</strong><br><span class=muted>{esc(entry['explanation'])}</span>",
                     str(len(entry["who"])), who])
    return table(["Misconception", "Submissions", "Who"], rows, numeric=(1,))


def problems_section(reports):
    rows = []
    for report in reports:
        name = report.submission
        if report.error:
            rows.append([f'<a href="{href(name)}">{esc(name)}</a>', "could not be read", esc(report.error)])
        for test in report.tests:
            if test.grader_error:
                link = f'<a href="{href(name, anchor=anchor("test", test.number))}">{esc(name)}</a>'
                rows.append([link, f"test {esc(test.number)}", esc(test.grader_error)])
    if not rows:
        return "<p>None: every submission was read, and the grader did not fail in any test.</p>"
    return table(["Submission", "Where", "What happened"], rows)


def submissions_section(reports):
    part_numbers = sorted({p.number for r in reports for p in r.parts if p.max_score})
    headers = ["Submission", "Score"] + [f"Part {n}" for n in part_numbers] + ["Failed tests", "Start here"]
    rows = []
    for report in reports:
        parts = {p.number: p.score for p in report.parts}
        failed = sum(1 for test in counted_tests(report) if test.status == "failed")
        roots = report.extra.get("start_here") or []
        start = (f"{esc(roots[0]['function'])} ({roots[0]['follow']} follow)" if roots and not report.error
                 else "")
        rows.append([f'<a href="{href(report.submission)}">{esc(report.submission)}</a>',
                     f"{points(report.score)} / {points(report.max_score)}",
                     *[points(parts.get(n, 0)) for n in part_numbers],
                     "could not be read" if report.error else str(failed), start])
    return table(headers, rows, numeric=tuple(range(1, len(headers) - 1)))


def number_key(number):
    """"5.10.lstm_forward" -> ((0, 5), (0, 10), (1, "lstm_forward")): tests in the rubric's order."""
    return tuple((0, int(x)) if x.isdigit() else (1, x) for x in number.split("."))
