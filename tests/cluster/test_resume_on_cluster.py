"""Does `grade --scheduler ... --resume` pick up where an interrupted run stopped?

A batch on the cluster is interrupted (Ctrl-C: SIGINT to the command's
process group) once its first report is written; the same command run again
with --resume keeps every report already written as it is (the same file,
never rewritten), grades only the others, each once, and writes a summary of
the whole batch. (tests/cli/test_resume_locally.py: the same for local grading.)
"""
import json
import shutil

try:
    import polling
    from on_cluster import REPO, graded_lines, interrupt, reports_in, run_grade, start_grade
except ModuleNotFoundError:  # tests/ became a package
    from tests import polling
    from tests.cluster.on_cluster import REPO, graded_lines, interrupt, reports_in, run_grade, start_grade

REFERENCE_SOLUTION = REPO / "examples" / "submissions" / "reference_solution"
BATCH = 6


def test_resume_after_an_interrupted_run(ready_cluster, tmp_path):
    paths = [shutil.copytree(REFERENCE_SOLUTION, tmp_path / "in" / f"student{i}") for i in range(BATCH)]
    out = tmp_path / "out"
    first = start_grade(paths, out, "--scheduler", ready_cluster.address)
    assert polling.wait_until(lambda: reports_in(out) if out.is_dir() else {}, seconds=300), "no report was written"
    interrupt(first)
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 130, f"the run was not interrupted (exit {first.returncode}): {stderr[-2000:]}"
    assert "Traceback" not in stderr and "autograder: interrupted" in stderr, stderr[-3000:]
    kept = {path.name: path.stat() for path in out.glob("student*.json")}
    assert 0 < len(kept) < BATCH

    again = run_grade(paths, out, "--scheduler", ready_cluster.address, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"--resume: {len(kept)} of {BATCH} submissions already graded" in again.stderr
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
