"""Does `grade --scheduler ... --resume` pick up where an interrupted run stopped?

A batch on the cluster is interrupted (Ctrl-C: SIGINT to the command's
process group) once its first report is written; the same command run again
with --resume keeps every report already written as it is (the same file,
never rewritten), grades only the others, each once, and writes a summary of
the whole batch. (tests/cli/test_resume_locally.py: the same for local grading.)
"""
import shutil

try:
    import polling
    from on_cluster import REPO, interrupt, run_grade, start_grade
    from resumed_runs import check_interrupted, check_resumed, reports_in
except ModuleNotFoundError:  # tests/ became a package
    from tests import polling
    from tests.cluster.on_cluster import REPO, interrupt, run_grade, start_grade
    from tests.resumed_runs import check_interrupted, check_resumed, reports_in

REFERENCE_SOLUTION = REPO / "examples" / "submissions" / "reference_solution"
BATCH = 6


def test_resume_after_an_interrupted_run(ready_cluster, tmp_path):
    paths = [shutil.copytree(REFERENCE_SOLUTION, tmp_path / "in" / f"student{i}") for i in range(BATCH)]
    out = tmp_path / "out"
    first = start_grade(paths, out, "--scheduler", ready_cluster.address)
    assert polling.wait_until(lambda: reports_in(out) if out.is_dir() else {}, seconds=300), "no report was written"
    interrupt(first)
    _, stderr = first.communicate(timeout=300)
    kept = check_interrupted(first.returncode, stderr, out, BATCH)

    again = run_grade(paths, out, "--scheduler", ready_cluster.address, "--resume")
    check_resumed(again, kept, out, paths)
