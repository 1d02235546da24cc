"""Golden reports: what every test of every report says, pinned, so that a
change meant to leave grading alone (a restructuring) is shown to.

A report is reduced to its canonical form: the fields that depend on the run
(timings, worker starts, replays, which depend on the order submissions
finish) are left out, and the run's own paths (a temporary folder named in a
hostile case's feedback) are replaced by placeholders. Each test's canonical
form is hashed; tests/golden/digests.json maps submission -> test number ->
hash (and "report" -> the hash of the rest of the report).

    GOLDEN=write python -m pytest tests   # the tests record their batches' reports instead of comparing
    python -m tests.golden compare REPORTS_A REPORTS_B   # what differs between two folders, test by test

The tests call `check(set_name, reports, replacements)`.
"""
import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden" / "digests.json"
# Fields that depend on the run, not on the submission.
VOLATILE = ("execution_time", "worker_starts", "tests_replayed")


def canonical(report, replacements=None, loose=False):
    """The report without its run-dependent fields, the run's paths replaced by placeholders.

    loose: also without the tests' feedback (their output and plots) and the
    printed output, for a submission whose messages depend on the run (random
    values, or how fast the machine is when it exhausts a resource); its
    statuses and scores stay."""
    data = {key: value for key, value in report.items() if key not in VOLATILE}
    if loose:
        data = {**data, "tests": [{k: v for k, v in test.items() if k not in ("output", "plots")}
                                  for test in data["tests"]]}
        data.pop("printed", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    for path, word in sorted((replacements or {}).items(), key=lambda item: -len(str(item[0]))):
        text = text.replace(str(path), word)
    return json.loads(text)


def digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:10]


def digests(report, replacements=None, loose=False):
    """{"report": hash of everything but the tests, test number: hash of that test}."""
    data = canonical(report, replacements, loose)
    tests = data.pop("tests")
    return {"report": digest(data), **{test["number"]: digest(test) for test in tests}}


def load():
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {}


def differences(set_name, reports, replacements=None, loose=()):
    """Lines naming every submission and test of `reports` ({name: report}) whose
    canonical form differs from the pinned one of `set_name`; [] when all agree.
    loose: the names of submissions compared loosely (see canonical)."""
    pinned = load().get(set_name)
    if pinned is None:
        return [f"no golden reports named {set_name!r} in {GOLDEN}"]
    lines = []
    for name in sorted(set(pinned) | set(reports)):
        if name not in reports or name not in pinned:
            lines.append(f"{name}: {'no report' if name not in reports else 'not pinned'}")
            continue
        got, want = digests(reports[name], replacements, name in loose), pinned[name]
        moved = sorted(key for key in set(got) | set(want) if got.get(key) != want.get(key))
        if moved:
            lines.append(f"{name}: {', '.join(moved[:12])}{' ...' if len(moved) > 12 else ''} differ")
    return lines


def check(set_name, reports, replacements=None, loose=()):
    """differences(); or, with GOLDEN=write in the environment, pin `reports` as `set_name` and return []."""
    if os.environ.get("GOLDEN_DUMP"):  # keep the canonical reports, to compare two runs with `compare`
        folder = Path(os.environ["GOLDEN_DUMP"]) / set_name
        folder.mkdir(parents=True, exist_ok=True)
        for name, report in reports.items():
            (folder / f"{name}.json").write_text(json.dumps(canonical(report, replacements, name in loose), indent=1))
    if os.environ.get("GOLDEN") != "write":
        return differences(set_name, reports, replacements, loose)
    golden = load()
    golden[set_name] = {name: digests(report, replacements, name in loose) for name, report in reports.items()}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(golden, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    return []


def read_reports(folder):
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(Path(folder).glob("*.json"))
            if path.name != "summary.json"}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="show what differs between two report folders, test by test")
    compare.add_argument("a")
    compare.add_argument("b")
    args = parser.parse_args(argv)
    a, b = read_reports(args.a), read_reports(args.b)
    status = 0
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            print(f"{name}: only in {args.a if name in a else args.b}")
            status = 1
            continue
        ca, cb = canonical(a[name]), canonical(b[name])
        tests_a, tests_b = {t["number"]: t for t in ca.pop("tests")}, {t["number"]: t for t in cb.pop("tests")}
        for key in sorted(set(ca) | set(cb)):
            if ca.get(key) != cb.get(key):
                print(f"{name}: {key}: {ca.get(key)!r:.200} != {cb.get(key)!r:.200}")
                status = 1
        for number in sorted(set(tests_a) | set(tests_b)):
            if tests_a.get(number) != tests_b.get(number):
                ta, tb = tests_a.get(number) or {}, tests_b.get(number) or {}
                fields = [k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k)]
                print(f"{name} {number}: " + "; ".join(f"{k}: {ta.get(k)!r:.150} != {tb.get(k)!r:.150}"
                                                       for k in sorted(fields)))
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
