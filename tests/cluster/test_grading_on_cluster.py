"""Does grading on a Dask cluster give what local grading gives?

The bundled examples (a folder, a notebook, a zip, plus a corrupt zip that
the client takes in and reports on by itself) are graded twice, locally with
`--jobs 2` and with `--scheduler tcp://...` on the session's LocalCluster:
every report must hold the same scores, the same sandbox tier and the same
outcome for every test. The whole corpus (tests/corpus) is graded on the cluster and each
total compared with its pinned score (scores.toml, under both
consequential-error rules); a submission whose total differs from its pin is
graded locally as well, and the cluster must agree with that: a pin that no
longer holds on this machine is test_grading_corpus's to report, not this
file's.
"""
import json
from pathlib import Path

from autograder.report.schema import validate_report, validate_summary

try:
    from corpus import materialize as corpus, scores
    from on_cluster import graded_lines, reports_in, results, run_grade
except ModuleNotFoundError:  # tests/ became a package
    from tests.cluster.on_cluster import graded_lines, reports_in, results, run_grade
    from tests.corpus import materialize as corpus, scores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "submissions"


def example_paths(folder):
    corrupt = folder / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 not a zip after all")
    return [*sorted(EXAMPLES.iterdir()), corrupt]


def test_examples_get_the_same_reports_as_locally(ready_cluster, tmp_path):
    """Same scores, errors and test outcomes on the cluster as locally; one report
    per submission, written atomically; summary.json and summary.csv as locally."""
    paths = example_paths(tmp_path)
    local = run_grade(paths, tmp_path / "local", "--jobs", "2")
    assert local.returncode == 0, local.stderr[-3000:]
    on_cluster = run_grade(paths, tmp_path / "cluster", "--scheduler", ready_cluster.address)
    assert on_cluster.returncode == 0, on_cluster.stderr[-3000:]
    assert "Traceback" not in on_cluster.stderr

    names = [p.stem if p.suffix else p.name for p in paths]
    local_reports, cluster_reports = reports_in(tmp_path / "local"), reports_in(tmp_path / "cluster")
    assert sorted(cluster_reports) == sorted(names)
    assert sorted(graded_lines(on_cluster.stderr)) == sorted(names), on_cluster.stderr[-3000:]
    for name in names:
        validate_report(cluster_reports[name])
        assert results(cluster_reports[name]) == results(local_reports[name]), name
    assert cluster_reports["corrupt"]["error"], "the corrupt zip's report must say why it could not be read"

    summary = json.loads((tmp_path / "cluster" / "summary.json").read_text(encoding="utf-8"))
    validate_summary(summary, [cluster_reports[n] for n in names])
    assert (tmp_path / "cluster" / "summary.csv").read_text(encoding="utf-8").splitlines()[0] == \
        (tmp_path / "local" / "summary.csv").read_text(encoding="utf-8").splitlines()[0]
    leftovers = {p.name for p in (tmp_path / "cluster").iterdir()} - {f"{n}.json" for n in names} \
        - {"summary.json", "summary.csv"}
    assert not leftovers
    assert "sandbox on the cluster's workers:" in on_cluster.stderr


def test_corpus_scores_as_locally(ready_cluster, tmp_path):
    """Every corpus submission earns on the cluster what local grading gives it."""
    paths = corpus.materialize_all(tmp_path / "corpus")
    graded = run_grade(paths, tmp_path / "cluster", "--scheduler", ready_cluster.address)
    assert graded.returncode == 0, graded.stderr[-3000:]
    reports = reports_in(tmp_path / "cluster")
    assert sorted(reports) == sorted(p.name for p in paths)
    pinned, pinned_penalized = scores.expected_scores(), scores.expected_scores(rule="penalize")
    off_pin = [p for p in paths
               if abs(reports[p.name]["score"] - pinned.get(p.name, -1)) > 1e-6
               or abs(scores.penalized(reports[p.name]) - pinned_penalized.get(p.name, -1)) > 1e-6]
    if off_pin:
        local = run_grade(off_pin, tmp_path / "local", "--jobs", "2")
        assert local.returncode == 0, local.stderr[-3000:]
        local_reports = reports_in(tmp_path / "local")
        differ = {p.name: (local_reports[p.name]["score"], reports[p.name]["score"]) for p in off_pin
                  if results(local_reports[p.name]) != results(reports[p.name])}
        assert not differ, f"scores on the cluster differ from local grading (name: local, cluster): {differ}"
