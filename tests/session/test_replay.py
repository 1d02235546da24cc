"""Does replaying a batch's recorded examples grade exactly as hypothesis does?

The plugin (autograder/session/replay.py) runs in pytest sessions of its own here
(pytester), on a small property test that logs every example it is called
with and every value hypothesis draws.
"""
import collections
import json

import numpy as np
import pytest

from autograder.session.replay import ExampleReplay, Unrecordable, decode, encode
from autograder.suite.inputs import TELLING, Case

pytest_plugins = ["pytester"]

PROPERTY_TEST = """
import os
from hypothesis import example, given, settings, strategies as st

def drawn(n):
    with open(os.environ["DRAW_LOG"], "a") as log:
        log.write(f"{n}\\n")
    return n

@settings(derandomize=True, database=None, max_examples=8)
@given(n=st.integers(0, 1000).map(drawn), pair=st.tuples(st.integers(0, 9), st.floats(-1, 1)))
@example(n=500, pair=(1, 0.5))
def test_property(n, pair):
    with open(os.environ["CALL_LOG"], "a") as log:
        log.write(f"{n} {pair!r}\\n")
    assert n <= int(os.environ.get("LIMIT", "1000"))
"""


@pytest.fixture
def session(pytester, monkeypatch, tmp_path):
    """Run the property test in a pytest session of its own (with `plugin`, if given); returns
    (outcomes, output, the examples the test was called with, the values hypothesis drew)."""
    pytester.makepyfile(test_property=PROPERTY_TEST)
    logs = {"CALL_LOG": tmp_path / "calls.txt", "DRAW_LOG": tmp_path / "draws.txt"}
    for name, path in logs.items():
        monkeypatch.setenv(name, str(path))

    def run(plugin=None, limit=1000):
        monkeypatch.setenv("LIMIT", str(limit))
        for path in logs.values():
            path.write_text("")
        result = pytester.runpytest_inprocess("-p", "no:cacheprovider", plugins=[plugin] if plugin else [])
        calls, draws = (logs[name].read_text().splitlines() for name in ("CALL_LOG", "DRAW_LOG"))
        return result.parseoutcomes(), result.stdout.str(), calls, draws
    return run


def no_students():
    return ()


def test_recording_does_not_change_what_hypothesis_draws(session):
    """Does a test run while recording get the very examples it gets without the plugin?"""
    recorder = ExampleReplay(no_students)
    outcomes, _, recorded_calls, _ = session(recorder)
    _, _, plain_calls, _ = session()
    assert outcomes == {"passed": 1}
    assert recorded_calls == plain_calls and len(plain_calls) == 9  # the explicit example, then 8 drawn
    (examples,) = recorder.learned.values()
    assert [f"{decode(e['n'])} {decode(e['pair'])!r}" for e in examples] == plain_calls


def test_a_known_test_is_replayed_without_hypothesis_drawing(session):
    """Is a recorded test run on exactly its recorded examples, with nothing drawn?"""
    recorder = ExampleReplay(no_students)
    _, _, recorded_calls, recorded_draws = session(recorder)
    replay = ExampleReplay(no_students)
    replay.learn(recorder.learned)
    outcomes, _, calls, draws = session(replay)
    assert outcomes == {"passed": 1} and replay.replayed == 1
    assert calls == recorded_calls
    assert recorded_draws and draws == []
    assert replay.learned == {}  # a replayed test is not recorded again


def test_a_failing_replay_hands_the_test_to_hypothesis(session):
    """When a recorded example fails, does the test fail exactly as under hypothesis alone,
    shrunk counterexample included?"""
    recorder = ExampleReplay(no_students)
    session(recorder)
    replay = ExampleReplay(no_students)
    replay.learn(recorder.learned)
    outcomes, output, _, draws = session(replay, limit=600)
    plain_outcomes, plain_output, _, _ = session(limit=600)
    assert outcomes == plain_outcomes == {"failed": 1}
    assert replay.replayed == 0 and draws  # hypothesis ran and drew
    assert failing_example(output) == failing_example(plain_output)
    assert "n=601," in failing_example(output)  # shrunk to the smallest failing n


def failing_example(output):
    """Hypothesis's report of the failing example in a session's output: its argument lines."""
    lines = output.splitlines()
    start = next((i for i, line in enumerate(lines) if "Failing test case" in line or "Falsifying example" in line),
                 None)
    assert start is not None, output[-3000:]
    return [line.lstrip("E").strip() for line in lines[start + 1:start + 3]]


class FakeStudent:
    """The parts of StudentCode that a replay touches."""

    def __init__(self):
        self.budget_left_s, self.poisoned = 100.0, None

    def retry(self, budget_left_s):
        self.budget_left_s, self.poisoned = budget_left_s, None


def test_a_failed_replay_is_undone():
    """Does a failed replay give back the time it used and drop the failure it left?"""
    student = FakeStudent()
    replay = ExampleReplay(lambda: (student, None))

    def failing_test(case):
        student.budget_left_s -= 30
        raise AssertionError("wrong")
    assert not replay._replay(failing_test, {}, [{"case": encode(TELLING)}])
    assert student.budget_left_s == 100.0 and replay.enabled


def test_a_replay_that_took_the_worker_down_ends_replay_for_the_submission():
    """After a crash or a timeout in a replay, is the rest of the submission graded by hypothesis alone?"""
    student = FakeStudent()
    replay = ExampleReplay(lambda: (student,))

    def hanging_test(case):
        student.budget_left_s -= 5
        student.poisoned = "lstm_forward: did not return within 5 s"
        raise AssertionError(student.poisoned)
    assert not replay._replay(hanging_test, {}, [{"case": encode(TELLING)}])
    assert student.poisoned is None and student.budget_left_s == 100.0
    assert not replay.enabled
    replay.start_submission()
    assert replay.enabled


def test_recordings_that_differ_are_never_replayed():
    """If two submissions record different examples for a test, is that test dropped for good?"""
    replay = ExampleReplay(no_students)
    first = [{"case": encode(TELLING)}]
    other = [{"case": encode(Case(N=1, T=1, D=1, H=1))}]
    replay.learn({"t::a": first, "t::b": first})
    replay.learn({"t::a": first, "t::b": other})
    assert replay.known == {"t::a": first}
    replay.learn({"t::b": first})
    assert "t::b" not in replay.known and "t::b" in replay.unstable


@pytest.mark.parametrize("value", [
    TELLING, Case(N=2, T=1, D=3, H=4, seed=9, dtype="float32"),
    np.array([[-0.0, 1e-300], [np.pi, -40.0]]), np.array([1.5, -2.25], dtype=np.float32), np.array(3.0),
    (3, 0.1), [1, "a", None, True], 5e-324, -0.0,
], ids=repr)
def test_drawn_values_are_recorded_exactly(value):
    """Does every kind of value the suite draws come back identical, type and bits included, through
    the JSON a batch's child writes for its parent?"""
    back = decode(json.loads(json.dumps(encode(value))))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert back.tobytes() == value.tobytes()
    else:
        assert repr(back) == repr(value)


def test_every_decode_is_a_new_array():
    """Can a test that changes its drawn array in place spoil the next replay? (It must not.)"""
    spec = encode(np.zeros(3))
    decode(spec)[0] = 7.0
    assert decode(spec)[0] == 0.0


def test_other_drawn_values_are_not_recorded():
    """Is a value the codec cannot write exactly refused (its test is then never replayed)?"""
    with pytest.raises(Unrecordable):
        encode({"a": 1})
    with pytest.raises(Unrecordable):
        encode(np.array([object()]))
    for subclass_value in (np.float64(0.5), collections.namedtuple("Pair", "a b")(1, 2), np.ma.array([1.0])):
        with pytest.raises(Unrecordable):  # it would come back as its base class
            encode(subclass_value)
