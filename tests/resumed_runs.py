"""What tests of `grade` read back from a run: its reports and progress lines,
and what a run with --resume after an interrupted one must have done
(tests/cli/test_resume_locally.py, tests/cluster/test_resume_on_cluster.py)."""
import json
from pathlib import Path


def reports_in(out):
    """{submission name: report} of the reports in `out` (not the summary)."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(out).glob("*.json")) if path.name != "summary.json"}


def graded_lines(stderr):
    """The names of the submissions the progress lines say were graded, in order (with repeats)."""
    return [line.split()[1].rstrip(":") for line in stderr.splitlines() if line.startswith("graded ")]


def check_interrupted(returncode, stderr, out, batch):
    """An interrupted run: exit 130, no traceback, some of its reports written. Returns
    {report file name: its stat} of those, for check_resumed."""
    assert returncode == 130, f"the run was not interrupted (exit {returncode}): {stderr[-2000:]}"
    assert "Traceback" not in stderr and "autograder: interrupted" in stderr, stderr[-3000:]
    kept = {path.name: path.stat() for path in out.glob("student*.json")}
    assert 0 < len(kept) < batch
    return kept


def check_resumed(again, kept, out, paths):
    """The run with --resume after it: the kept reports untouched, only the others graded,
    once each, every report and the summary complete, no temporary file left."""
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"--resume: {len(kept)} of {len(paths)} submissions already graded" in again.stderr
    for name, before in kept.items():
        after = (out / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), f"{name} was rewritten"
    names = [p.name for p in paths]
    assert sorted(graded_lines(again.stderr)) == sorted(set(names) - {n[:-5] for n in kept})
    reports = reports_in(out)
    assert sorted(reports) == sorted(names)
    assert all(r["score"] == 100 for r in reports.values())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [s["submission"] for s in summary["submissions"]] == names
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "a temporary file was left"
