"""Does the rubric refuse what it would otherwise ignore?

A key rubric.toml does not know (a typo such as `hnit` for `hint`) used to
be dropped in silence: the hint never showed, the limit never applied. Each
is now refused with one line naming the key and where it is, on loading and
on the command line (a usage error: exit 2, nothing graded).
"""
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import rubric as rubric_module
from autograder.rubric import RubricError

REPO = Path(__file__).resolve().parents[1]
BUNDLED = rubric_module.DEFAULT_RUBRIC.read_text(encoding="utf-8")


def edited(old, new):
    """The bundled rubric with its first `old` replaced by `new`."""
    assert old in BUNDLED, old
    return BUNDLED.replace(old, new, 1)


TYPOS = {
    # where: (the rubric's text, the line's words)
    "a test": (edited('hint = "σ(z) = 1', 'hnit = "σ(z) = 1'),
               "unknown key 'hnit' in [tests.sigmoid_matches_reference] (did you mean 'hint'?)"),
    "grading": (edited("budget_s = 120", "budget_s = 120\ncall_timout_s = 3"),
                "unknown key 'call_timout_s' in [grading] (did you mean 'call_timeout_s'?)"),
    "the limits": (edited("open_files = 64", "open_files = 64\nproceses = 8"),
                   "unknown key 'proceses' in [grading.limits] (did you mean 'processes'?)"),
    "a part": (edited('title = "Activations"', 'title = "Activations"\ntitel = "Activation functions"'),
               "unknown key 'titel' in [parts.activations] (did you mean 'title'?)"),
    "the top level": ("passing_score = 60\n" + BUNDLED,
                      "unknown key 'passing_score' at the top level (allowed: causes, grading, parts, tests)"),
    "a table in a test": (edited("public = true\n", "public = true\n[tests.sigmoid_matches_reference.extra]\n"),
                          "unknown key 'extra' in [tests.sigmoid_matches_reference]"),
}


@pytest.mark.parametrize("where", TYPOS)
def test_an_unknown_key_is_refused_naming_it_and_its_table(tmp_path, where):
    """Does loading a rubric with an unknown key fail with one line naming the file, the key and its table?"""
    text, words = TYPOS[where]
    path = tmp_path / "rubric.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RubricError) as refused:
        rubric_module.load(path)
    message = str(refused.value)
    assert message.startswith(f"rubric {path}: ") and words in message
    assert "\n" not in message


def test_the_command_line_refuses_a_rubric_with_a_typo_as_a_usage_error(tmp_path):
    """`grade --rubric` with a typo in it: exit 2, one line naming the key, nothing graded?"""
    path = tmp_path / "rubric.toml"
    path.write_text(TYPOS["a test"][0], encoding="utf-8")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(REPO / "examples" / "submissions" / "carol"),
                           "--out", str(out), "--rubric", str(path)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("autograder: error: ") and "unknown key 'hnit'" in lines[0]
    assert not out.exists() or not list(out.iterdir())

