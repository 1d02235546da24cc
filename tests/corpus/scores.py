"""The score every corpus submission must earn, pinned in scores.toml.

tests/test_grading_corpus.py grades the whole corpus and checks each total
against this file, so that a change of the grader that moves any score shows
up as a failing test, to be explained and then accepted by rewriting the file.
[score] holds the totals under the bundled rubric (consequential errors
carried forward); [penalize] those under consequential_errors = "penalize",
which gives back nothing a failure keeps by being carried forward (the
score less the tests' `carried_forward.kept`):

    python -m autograder grade $(python -m tests.corpus.materialize DIR) --out REPORTS
    python -m tests.corpus.scores REPORTS        # rewrites tests/corpus/scores.toml
"""
import json
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

SCORES_TOML = Path(__file__).resolve().parent / "scores.toml"
HEADER = """\
# The total each corpus submission earns (see scores.py): wrong cases lose
# what their mistake costs, correct solutions earn 100, trivial ones 0.
# [score]: the bundled rubric (consequential errors carried forward);
# [penalize]: the same with consequential_errors = "penalize".
# Rewrite with `python -m tests.corpus.scores REPORTS` after explaining every change.
"""


def expected_scores(path=SCORES_TOML, rule="score") -> dict:
    """Submission folder name (wrong__<case>, ...) -> its expected total under
    the bundled rubric ("score") or with consequential errors penalized ("penalize")."""
    with open(path, "rb") as f:
        return dict(tomllib.load(f)[rule])


def penalized(report) -> float:
    """A report's total had consequential errors been penalized: less what carried-forward failures kept."""
    return round(sum(test["score"] - test.get("carried_forward", {}).get("kept", 0) for test in report["tests"]), 4)


def write_expected(reports_dir, path=SCORES_TOML):
    """Rewrite scores.toml from a reports folder graded with the bundled rubric."""
    reports = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(reports_dir).glob("*.json"))
               if p.name != "summary.json"]
    lines = [HEADER]
    for table, total in (("score", lambda report: report["score"]), ("penalize", penalized)):
        rows = sorted((report["submission"], total(report)) for report in reports)
        lines += [f"[{table}]"] + [f"{name} = {score!r}" for name, score in rows] + [""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    write_expected(sys.argv[1])
