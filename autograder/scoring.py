"""Scoring: the suite's test records and the rubric -> a Report.

A record is what pytest-json-report keeps of a test (its nodeid, outcome and
stages), with the metadata the suite's conftest adds: the test's rubric key
and parametrization, the functions it called, and a failed test's feedback,
cause and failing example. A parametrized test splits its rubric points
evenly over its instances; a test that does not count (a GPU test without
--gpu) scores 0 of 0. A failed test whose function is right given the
student's own parts (suite/carry_forward.py) keeps the share of its points
its part's rule gives (rubric.toml: consequential_errors, carried_credit),
and the report leads with the functions the failures follow from.
"""
import re

from . import contract
from .report.model import PartResult, Report, TestResult
from .rubric import RubricError


def score(submission, records, rubric, *, seconds, sandbox, gpu=False, extra=None):
    """The Report of one submission from its test records."""
    instances = {}
    for record in records:
        key = record.get("metadata", {}).get("key")
        if key not in rubric.tests:
            raise RubricError(f"suite test {record['nodeid']} has no entry in the rubric")
        instances.setdefault(key, []).append(record)
    tests = [test_result(entry, record, len(instances[key]), gpu, rubric)
             for key, entry in rubric.tests.items() for record in instances.get(key, [])]
    tests.sort(key=lambda test: tuple(int(x) for x in re.findall(r"\d+", test.number)))
    total = round(sum(test.score for test in tests), 4)
    max_score = round(sum(test.max_score for test in tests), 4)
    parts = part_results(rubric, tests)
    roots = root_causes(tests)
    extra = dict(extra or {}, **({"start_here": roots} if roots else {}))
    return Report(submission, total, max_score, round(seconds, 3),
                  summary_text(parts, total, max_score, sandbox, roots), tests, parts, sandbox,
                  grader_errors=sum(1 for test in tests if test.grader_error), extra=extra)


def test_result(entry, record, count, gpu, rubric):
    """One TestResult from its rubric entry and record (one of `count` instances)."""
    metadata = record.get("metadata", {})
    param = metadata.get("param") or None
    outcome = record.get("outcome")
    counted = gpu or not entry.gpu
    max_points = round(entry.points / count, 6) if counted else 0.0
    passed = outcome == "passed"
    skipped = outcome == "skipped" or not counted
    tags = list(dict.fromkeys(
        ([param] if param in contract.FUNCTIONS else list(entry.tags)) + metadata.get("called", [])))
    failed = not passed and not skipped
    extra = {"diagnosis": metadata["diagnosis"]} if failed and metadata.get("diagnosis") else {}  # suite/diagnosis.py
    carried = metadata.get("carried_forward") if failed and not metadata.get("grader_error") else None
    kept = round(max_points * rubric.kept_share(entry), 6) if carried else 0.0
    if carried:
        extra["carried_forward"] = {"function": carried["function"], "from": carried["culprits"],
                                    "built_from": carried["built_from"], "kept": kept}
    if failed and metadata.get("plots"):
        extra["plots"] = metadata["plots"]   # where its values go wrong (suite/plots.py)
    return TestResult(
        name=test_name(metadata.get("doc", entry.key.replace("_", " ")), param),
        number=entry.number + (f".{param}" if param else ""),
        score=max_points if passed else kept, max_score=max_points,
        status="passed" if passed or skipped else "failed",
        output="" if passed else feedback(entry, metadata, skipped, record, rubric.causes, kept, max_points),
        tags=tags + (["gpu"] if entry.gpu else []), key=entry.key, outcome="skipped" if skipped else outcome,
        grader_error=metadata.get("grader_error"), cause=metadata.get("cause") if failed else None, extra=extra)


def test_name(doc, param):
    """A test's title: its docstring's first line, with the parametrized function
    in place of "{function}", or in front of it."""
    if not param:
        return doc
    if "{function}" in doc:
        return doc.replace("{function}", param)
    return doc if doc.startswith(param) else f"{param}: {doc}"


def feedback(entry, metadata, skipped, record, causes, kept=0.0, max_points=0.0):
    """What a test that did not pass says: why it failed (or was skipped), whether
    that follows from a mistake elsewhere (and what credit it kept), its failing
    example, and the hint: of the function to fix first, else of its cause (the
    maths: the test's own)."""
    if skipped:
        return "skipped: " + (metadata.get("skip_reason") or skip_reason(record) or "not requested")
    if metadata.get("grader_error"):
        return ("The grader itself failed while checking this (not your fault; please tell your "
                "instructor): " + metadata["grader_error"])
    lines = [metadata.get("feedback") or "failed"]
    carried = metadata.get("carried_forward")
    if carried:
        lines.append(carried_sentence(carried, kept, max_points))
    if metadata.get("example"):
        label = "Smallest failing example" if metadata.get("example_shrunk") else "Failing example"
        lines.append(f"{label}: {metadata['example']}")
    if carried:
        hint = (f"fix {carried['culprits'][0]} first (its own tests say how): this test should then pass "
                f"without a change to {carried['function']}.")
    else:
        hint = causes.get(metadata.get("cause"), entry.hint)
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def carried_sentence(carried, kept, max_points):
    """Which applies to a failure that follows from a mistake elsewhere (suite/carry_forward.py):
    what the function is right given, the credit kept, and where the mistake is."""
    function, parts, culprit = carried["function"], carried["built_from"], carried["culprits"][0]
    credit = (f"credit kept: {kept:g} of {max_points:g} points" if kept
              else "no credit kept: this course counts such errors again")
    where = f", {carried['first']['where']}" if carried["first"]["where"] else ""
    because = f"because {culprit} does{where}: {carried['first']['difference']}. Start there."
    if carried["via"] == "reference":
        return (f"{function} itself matches the reference, given the cache of your own {parts[0]} ({credit}); "
                f"the check fails {because}")
    own = f"your own activations {listed(parts)}" if carried["via"] == "activations" else f"your own {listed(parts)}"
    give = "gives" if len(parts) == 1 else "give"
    return (f"{function} matches what {own} {give}, put together as the contract says ({credit}); "
            f"it differs from the reference {because}")


def listed(names):
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def failed_function(test):
    """The contract function a failed test found wrong: the one its feedback names first."""
    carried = test.extra.get("carried_forward")
    if carried:
        return carried["function"]
    first = test.output.split("\n", 1)[0]
    named = [f for f in contract.FUNCTIONS if first.startswith((f + ":", f + " "))]
    return max(named, key=len) if named else None


def root_causes(tests):
    """[{"function", "follow"}]: each function holding a mistake that other failures
    follow from (suite/carry_forward.py), and how many follow, most first."""
    failed = [test for test in tests if test.status == "failed" and test.counted]
    culprits, own = {}, set()
    for test in failed:
        carried = test.extra.get("carried_forward")
        if carried:
            culprits.setdefault(carried["function"], set()).update(carried["from"])
        elif failed_function(test):
            own.add(failed_function(test))

    def roots(function, seen=()):
        if function in own or function not in culprits or function in seen:
            return {function}
        return set().union(*(roots(part, seen + (function,)) for part in culprits[function]))

    follow = {}
    for test in failed:
        carried = test.extra.get("carried_forward")
        for root in set().union(*(roots(part) for part in carried["from"])) if carried else ():
            follow[root] = follow.get(root, 0) + 1
    order = list(contract.FUNCTIONS)   # ties: the earlier function (a forward before its backward) first
    return [{"function": function, "follow": count}
            for function, count in sorted(follow.items(), key=lambda item: (-item[1], order.index(item[0])))]


def start_here_lines(roots):
    """The report's lead: where to start, and what follows from it."""
    lines = []
    for i, root in enumerate(roots):
        others = f"{root['follow']} other failure{'s' if root['follow'] != 1 else ''}"
        lines.append(f"{'Start here' if i == 0 else 'Then'}: {root['function']}; {others} follow"
                     f"{'s' if root['follow'] == 1 else ''} from it.")
    return lines


def skip_reason(record):
    """The reason of a test pytest skipped, from its longrepr "('file', line, 'Skipped: reason')"."""
    longrepr = (record.get("setup") or {}).get("longrepr") or (record.get("call") or {}).get("longrepr")
    if isinstance(longrepr, str) and "Skipped: " in longrepr:
        reason = longrepr.rsplit("Skipped: ", 1)[1].strip()
        for closing in ("')", '")'):  # the tuple's, not the reason's own parentheses
            reason = reason.removesuffix(closing)
        return reason
    return ""


def part_results(rubric, tests):
    """Each rubric part's subtotal, in the rubric's order."""
    parts = []
    for part in rubric.parts.values():
        mine = [test for test in tests if test.part_number == part.number]
        parts.append(PartResult(part.key, part.number, part.title, round(sum(t.score for t in mine), 4),
                                round(sum(t.max_score for t in mine), 4),
                                sum(t.status == "passed" and t.counted for t in mine), sum(t.counted for t in mine)))
    return parts


def summary_text(parts, total, max_score, sandbox, roots=()):
    """The report's output: the score, where to start (root_causes), each part's
    score, and a note on degraded isolation."""
    lines = [f"Score: {total:g} / {max_score:g}"] + start_here_lines(roots)
    for part in parts:
        if part.tests:
            lines.append(f"Part {part.number} {part.title}: {part.score:g} / {part.max_score:g} "
                         f"({part.passed} of {part.tests} tests passed)")
    if sandbox.get("degraded"):
        lines.append(f"Note: graded with degraded isolation ({sandbox['tier']}).")
    return "\n".join(lines)


def error_report(submission, message, rubric, *, seconds=0.0, sandbox=None):
    """The Report of a submission that could not be graded at all (e.g. a corrupt
    zip): every test failed with the same one-line reason."""
    tests = [TestResult(entry.key.replace("_", " "), entry.number, 0.0, entry.points, "failed", message,
                        list(entry.tags), entry.key, "failed")
             for entry in rubric.tests.values() if not entry.gpu]
    max_score = round(sum(test.max_score for test in tests), 4)
    return Report(submission, 0.0, max_score, round(seconds, 3), f"Score: 0 / {max_score:g}\n{message}", tests,
                  part_results(rubric, tests), sandbox or {}, error=message)
