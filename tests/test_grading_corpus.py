"""Does the grader catch every mistake of the corpus, and only there?

tests/corpus holds one-mistake wrong submissions (wrong.toml) and correct
solutions written differently from the reference (correct/). All of them are
graded in one `python -m autograder grade ... --jobs 2` call; then, per case:
a wrong submission loses points; every test it fails exercises a function in
its `affected` list (the function holding the mistake, or one that calls
it); and the function holding the mistake fails at least one test. Every
correct solution earns full marks.
"""
import pytest

from autograder.schema import validate_report

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

CASES = corpus.load_wrong_cases()
CORRECT = corpus.correct_names()
WRONG_PREFIX, CORRECT_PREFIX = "wrong__", "correct__"


@pytest.fixture(scope="module")
def corpus_batch(grading, tmp_path_factory):
    """The whole corpus, materialized and graded in one CLI call.

    Returns (Graded, {case name: why it could not be materialized}).
    """
    folder = tmp_path_factory.mktemp("corpus-submissions")
    paths, broken = [], {}
    for case in CASES:
        try:
            paths.append(corpus.materialize_wrong(case, folder / f"{WRONG_PREFIX}{case.name}"))
        except corpus.CorpusError as error:
            broken[case.name] = str(error)
    for name in CORRECT:
        paths.append(corpus.materialize_correct(name, folder / f"{CORRECT_PREFIX}{name}"))
    return grading.grade_cli(paths, tmp_path_factory.mktemp("corpus-reports")), broken


def wrong_report(corpus_batch, case):
    graded, broken = corpus_batch
    if case.name in broken:
        pytest.fail(f"wrong case {case.name} does not apply to the reference: {broken[case.name]}")
    report = graded.report(WRONG_PREFIX + case.name)
    validate_report(report)
    return report


def failures(tests):
    return "\n".join(f"  {t['number']} {t['name']} (tags {t['tags']}): {t['output']}" for t in tests)


def test_corpus_is_not_empty():
    """Is there something to grade?"""
    assert len(CASES) >= 20 and len(CORRECT) >= 3


def test_corpus_batch_exits_zero(corpus_batch):
    """Is the whole corpus graded, without a grader failure?"""
    graded, _ = corpus_batch
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert graded.csv_rows is not None and len(graded.csv_rows) == len(graded.reports)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_wrong_case_loses_points(corpus_batch, case):
    """Does the wrong submission lose points?"""
    report = wrong_report(corpus_batch, case)
    assert report["score"] < report["max_score"], (
        f"{case.name} earned full marks; its mistake ({case.why}) in {case.mistake_in} goes unnoticed")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_wrong_case_loses_points_only_where_affected(corpus_batch, case):
    """Does every test it fails exercise a function its mistake affects?"""
    report = wrong_report(corpus_batch, case)
    affected = set(case.affected)
    outside = [t for t in report["tests"] if t["status"] == "failed" and not affected & set(t["tags"])]
    assert not outside, (f"{case.name} (mistake in {case.mistake_in}, affected {sorted(affected)}) "
                         f"failed tests outside `affected`:\n{failures(outside)}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_wrong_case_fails_on_its_mistake(corpus_batch, case):
    """Does a test of the function holding the mistake fail?"""
    report = wrong_report(corpus_batch, case)
    failed = [t for t in report["tests"] if t["status"] == "failed"]
    assert any(case.mistake_in in t["tags"] for t in failed), (
        f"{case.name}: no failed test is tagged {case.mistake_in} (where the mistake is); "
        f"failed:\n{failures(failed) or '  none'}")


@pytest.mark.parametrize("name", CORRECT)
def test_correct_solution_earns_full_marks(corpus_batch, name):
    """Does a correct solution written differently from the reference earn 100/100?"""
    graded, _ = corpus_batch
    report = graded.report(CORRECT_PREFIX + name)
    validate_report(report)
    failed = [t for t in report["tests"] if t["status"] != "passed"]
    assert not failed, f"correct solution {name} lost points:\n{failures(failed)}"
    assert report["score"] == report["max_score"] == 100


def test_feedback_names_the_failing_example(corpus_batch):
    """Does feedback on a property test show hypothesis's failing example (shrunk where it was
    drawn), as the drawn arguments alone, never the grader's own objects?"""
    graded, _ = corpus_batch
    outputs = [t["output"] for report in graded.reports.values() for t in report["tests"]
               if t["status"] == "failed"]
    assert any("\nFailing example: case=Case(N=" in output for output in outputs)
    assert any("\nSmallest failing example: " in output for output in outputs)
    assert not [output for output in outputs if " object at 0x" in output]
