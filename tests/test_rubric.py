"""Does the rubric refuse what it would otherwise ignore?

A key rubric.toml does not know (a typo such as `hnit` for `hint`) used to
be dropped in silence: the hint never showed, the limit never applied. Each
is now refused with one line naming the key and where it is, on loading and
on the command line (a usage error: exit 2, nothing graded).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import contract, paths, rubric as rubric_module
from autograder.rubric import RubricError

REPO = Path(__file__).resolve().parents[1]
ROOT, SUITE = REPO, paths.SUITE_DIR
RUBRIC = rubric_module.load()
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


# ---------------------------------------------------------------- rubric

GOOD_RUBRIC = """
[parts.a]
title = "A"
[tests.one]
part = "a"
points = 1
tags = ["sigmoid"]
"""


@pytest.mark.parametrize("text, words", [
    ("[parts.a\ntitle = 'A'", "not valid TOML"),
    ("[tests.one]\npart = 'a'\npoints = 1\n", "parts"),
    (GOOD_RUBRIC.replace('part = "a"', 'part = "b"'), "unknown part 'b'"),
    (GOOD_RUBRIC.replace("points = 1", "points = -1"), "negative points"),
    (GOOD_RUBRIC.replace("points = 1", "points = 'many'"), "many"),
    (GOOD_RUBRIC.replace("points = 1\n", ""), "points"),
    (GOOD_RUBRIC + "[grading.limits]\nno_such_limit = 3\n", "no_such_limit"),
])
def test_rubric_load_rejects_malformed_rubrics(tmp_path, text, words):
    """Does a malformed rubric raise RubricError naming the file and what is wrong?"""
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    with pytest.raises(RubricError) as error:
        rubric_module.load(path)
    assert str(path) in str(error.value) and words in str(error.value)


def test_rubric_load_reports_a_missing_file(tmp_path):
    with pytest.raises(RubricError, match="cannot read rubric"):
        rubric_module.load(tmp_path / "nowhere.toml")


def test_rubric_load_accepts_a_minimal_rubric(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text(GOOD_RUBRIC)
    loaded = rubric_module.load(path)
    assert loaded.tests["one"].number == "1.1" and loaded.max_score() == 1


def test_rubric_points_sum_to_100():
    assert RUBRIC.max_score() == pytest.approx(100)
    assert all(entry.points > 0 for entry in RUBRIC.tests.values())


def test_rubric_tags_are_contract_functions():
    for entry in RUBRIC.tests.values():
        assert set(entry.tags) <= set(contract.FUNCTIONS), entry


@pytest.fixture(scope="module")
def suite_node_ids():
    """The grading suite's test ids, as pytest collects them (in a subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", str(SUITE), "-c", os.devnull,
         "--rootdir", str(SUITE), "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = [line.strip() for line in done.stdout.splitlines() if "::test_" in line]
    assert ids, done.stdout
    return ids


def test_every_suite_test_has_a_rubric_entry(suite_node_ids):
    keys = {key_of(node) for node in suite_node_ids}
    assert not keys - set(RUBRIC.tests), "suite tests without a rubric entry"


def test_every_rubric_entry_has_a_suite_test(suite_node_ids):
    keys = {key_of(node) for node in suite_node_ids}
    assert not set(RUBRIC.tests) - keys, "rubric entries without a suite test"


def test_every_suite_test_is_tagged(suite_node_ids):
    """Does every collected test know which contract functions it exercises (its tags or its parameter)?"""
    untagged = []
    for node in suite_node_ids:
        if not RUBRIC.tests[key_of(node)].tags and param_of(node) not in contract.FUNCTIONS:
            untagged.append(node)
    assert not untagged


def test_tags_are_honest(reference_report):
    """Grading the reference: is every function a test called among the tags its rubric entry
    declares (or the contract function its instance is parametrized by)?"""
    dishonest = []
    for test in reference_report["tests"]:
        entry = RUBRIC.tests[test["key"]]
        param = test["number"][len(entry.number) + 1:]
        declared = set(entry.tags) | ({param} if param in contract.FUNCTIONS else set())
        # The report's tags are the declared ones plus every function the test called.
        called_beyond = set(test["tags"]) - declared - {"gpu"}
        if called_beyond or not declared:
            dishonest.append(f"{test['number']} {test['key']}: declares {sorted(declared)}, "
                             f"also called {sorted(called_beyond)}")
    assert not dishonest, "\n".join(dishonest)


def key_of(node_id):
    """'suite/test_rnn.py::test_rnn_keeps_dtype[rnn_forward]' -> 'rnn_keeps_dtype'."""
    return node_id.split("::")[-1].split("[")[0].removeprefix("test_")


def param_of(node_id):
    """'...::test_rnn_keeps_dtype[rnn_forward]' -> 'rnn_forward' ('' when not parametrized)."""
    name = node_id.split("::")[-1]
    return name[name.index("[") + 1:-1] if "[" in name else ""
