"""A Report as text for a person: what `autograder check` prints, and what the
nbgrader grade cells show. The same names, scores and messages as the JSON
report, one test a line, the messages of failed tests indented below them.
"""

MARKS = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}


def test_lines(test):
    """One TestResult: a status line, then its message indented (failed or skipped tests only)."""
    outcome = test.status if test.counted else "skipped"
    lines = [f"  {MARKS.get(outcome, outcome)} {test.number:<8} {test.score:g}/{test.max_score:g}  {test.name}"]
    if outcome != "passed":
        lines += [f"         {line}" for line in test.output.splitlines() if line.strip()]
    return lines


def part_text(report, key):
    """One part's score line and its tests."""
    part = next(p for p in report.parts if p.key == key)
    lines = [f"Part {part.number} {part.title}: {part.score:g} / {part.max_score:g} "
             f"({part.passed} of {part.tests} tests passed)"]
    for test in report.tests_of_part(part):
        lines += test_lines(test)
    return "\n".join(lines)


def report_text(report):
    """The whole report: every part that has tests, then the total."""
    blocks = [part_text(report, p.key) for p in report.parts if p.tests]
    if report.error:
        blocks.insert(0, f"Could not grade: {report.error}")
    blocks.append(f"Total: {report.score:g} / {report.max_score:g}")
    return "\n\n".join(blocks)
