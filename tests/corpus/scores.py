"""The score every corpus submission must earn, pinned in scores.toml.

tests/test_grading_corpus.py grades the whole corpus and checks each total
against this file, so that a change of the grader that moves any score shows
up as a failing test, to be explained and then accepted by rewriting the file:

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
# Rewrite with `python -m tests.corpus.scores REPORTS` after explaining every change.
"""


def expected_scores(path=SCORES_TOML) -> dict:
    """Submission folder name (wrong__<case>, ...) -> its expected total."""
    with open(path, "rb") as f:
        return dict(tomllib.load(f)["score"])


def write_expected(reports_dir, path=SCORES_TOML):
    """Rewrite scores.toml from a reports folder's summary.json."""
    summary = json.loads((Path(reports_dir) / "summary.json").read_text(encoding="utf-8"))
    rows = sorted((r["submission"], r["score"]) for r in summary["submissions"])
    lines = [HEADER, "[score]"] + [f"{name} = {score!r}" for name, score in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_expected(sys.argv[1])
