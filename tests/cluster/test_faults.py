"""Does grading on a cluster survive what goes wrong on clusters?

- A Dask worker killed (SIGKILL) while it grades: Dask runs its task again
  on a worker that is up, and every submission still gets exactly one
  report, at full marks.
- A grading service (the process a worker's task hands its submission to)
  killed while it grades: the task fails, Dask runs it again, the worker
  starts a new service, and the worker itself is never restarted.
- Submissions that crash the process running them (a segfault, os._exit at
  import, a kill of everything in reach): graded as locally, and no Dask
  worker goes down (the sandbox runs in a child of a child of the task).

Each kill happens once the scheduler says a grading task is running on the
victim's worker; nothing here is timed.
"""
import os
import shutil
import signal

try:
    import polling
    from hostile import cases as hostile
    from on_cluster import REPO, graded_lines, reports_in, results, run_grade, start_grade
except ModuleNotFoundError:  # tests/ became a package
    from tests import polling
    from tests.cluster.on_cluster import REPO, graded_lines, reports_in, results, run_grade, start_grade
    from tests.hostile import cases as hostile

REFERENCE_SOLUTION = REPO / "examples" / "submissions" / "reference_solution"
BATCH = 6
KILL_EVERYTHING_IN_REACH = """import os
import signal
for target in (os.getppid(), 0, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
"""


def copies(folder, count=BATCH):
    return [shutil.copytree(REFERENCE_SOLUTION, folder / f"student{i}") for i in range(count)]


def grading_on(cluster):
    """(worker address, its grading task's key) once a worker runs a grading task, else None."""
    busy = cluster.busy_workers()
    return next(((worker, keys[0]) for worker, keys in busy.items() if keys), None)


def finish(process):
    stdout, stderr = process.communicate(timeout=900)
    return process.returncode, stderr


def assert_one_full_report_each(paths, out, returncode, stderr):
    assert returncode == 0, stderr[-3000:]
    names = sorted(p.name for p in paths)
    reports = reports_in(out)
    assert sorted(reports) == names
    assert sorted(graded_lines(stderr)) == names, "each submission is to be graded (and said) exactly once"
    for name, report in reports.items():
        assert report["score"] == report["max_score"] == 100, (name, report["score"])


def services_of(worker_pid):
    import psutil  # dask.distributed's dependency: these tests run only with it
    return [p for p in psutil.Process(worker_pid).children()
            if "autograder.cluster.service" in " ".join(p.cmdline())]


def test_a_worker_killed_mid_batch(ready_cluster, tmp_path):
    """A worker killed while it grades: its task runs again elsewhere, one report per submission."""
    paths = copies(tmp_path / "in")
    process = start_grade(paths, tmp_path / "out", "--scheduler", ready_cluster.address)
    pids = ready_cluster.workers()
    victim = polling.wait_until(lambda: grading_on(ready_cluster), seconds=300)
    assert victim, "no grading task ever ran"
    worker, key = victim
    os.kill(pids[worker], signal.SIGKILL)
    returncode, stderr = finish(process)

    assert_one_full_report_each(paths, tmp_path / "out", returncode, stderr)
    assert worker not in ready_cluster.client.scheduler_info()["workers"], "the killed worker is still there"
    # The scheduler's transitions of that task: (key, from, to, ...); "processing" twice = run again.
    story = ready_cluster.client.run_on_scheduler(
        lambda dask_scheduler, key=key: [list(t) for t in dask_scheduler.transition_log if t[0] == key])
    processing = [t for t in story if t[2] == "processing"]
    assert len(processing) >= 2, f"the killed worker's task {key} was not run again: {story}"


def test_a_grading_service_killed_mid_task(ready_cluster, tmp_path):
    """A grading service killed while it grades: the task runs again, the worker lives on."""
    paths = copies(tmp_path / "in")
    pids = ready_cluster.workers()
    process = start_grade(paths, tmp_path / "out", "--scheduler", ready_cluster.address)
    victim = polling.wait_until(lambda: grading_on(ready_cluster) and services_of(pids[grading_on(ready_cluster)[0]]),
                                seconds=300)
    assert victim, "no grading service ever ran"
    for service in victim:
        service.kill()
    returncode, stderr = finish(process)

    assert_one_full_report_each(paths, tmp_path / "out", returncode, stderr)
    assert ready_cluster.workers() == pids, "a Dask worker was restarted"


def test_submissions_that_crash_their_process_take_no_worker_down(ready_cluster, tmp_path):
    """Crashing submissions are graded as locally; every Dask worker is the one it was."""
    paths = [hostile.materialize(hostile.BY_NAME[name], tmp_path / "in" / name, {"RUN": "cluster"})
             for name in ("segfault", "os_exit_at_import", "os_exit_in_function")]
    killer = tmp_path / "in" / "kill_everything_in_reach"
    hostile.materialize(hostile.BY_NAME["os_exit_at_import"], killer, {"RUN": "cluster"})
    (killer / "gru.py").write_text(KILL_EVERYTHING_IN_REACH + (REFERENCE_SOLUTION / "gru.py").read_text())
    paths.append(killer)
    pids = ready_cluster.workers()

    on_cluster = run_grade(paths, tmp_path / "cluster", "--scheduler", ready_cluster.address)
    local = run_grade(paths, tmp_path / "local", "--jobs", "2")

    assert on_cluster.returncode == 0, on_cluster.stderr[-3000:]
    assert local.returncode == 0, local.stderr[-3000:]
    assert ready_cluster.workers() == pids, "a Dask worker was restarted"
    cluster_reports, local_reports = reports_in(tmp_path / "cluster"), reports_in(tmp_path / "local")
    assert sorted(cluster_reports) == sorted(p.name for p in paths)
    for path in paths:
        assert cluster_reports[path.name]["score"] < 100, path.name
        assert results(cluster_reports[path.name]) == results(local_reports[path.name]), path.name
