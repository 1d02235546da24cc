"""`bench grading`'s table (autograder/benchmarks/grading.py): the figures it
prints follow from the times measured (here made up: nothing is graded)."""
from autograder.benchmarks import grading


def test_the_batch_rate_is_its_submissions_over_its_seconds(monkeypatch, capsys):
    """Is the batch's rate the number of submissions over the batch's seconds, and the lone
    submission's figure the median of its runs?"""
    times = iter([1.0, 3.0, 2.0, 8.0])   # three lone runs, then the batch
    monkeypatch.setattr(grading, "grade_seconds", lambda paths, out_dir, jobs=None: next(times))
    assert grading.main(runs=3, batch=4, jobs=2) == 0
    lines = capsys.readouterr().out.splitlines()
    single = next(line for line in lines if line.startswith("one submission"))
    rate = next(line for line in lines if line.startswith("batch of 4 with --jobs 2"))
    assert single[48:].split()[0] == "2.00"   # the value column, after the measure's 48 characters
    assert rate[48:].split()[0] == "0.50" and "(8.0 s in all)" in rate
