"""Does the rule "points only for work done" (autograder/suite/work_done.py)
tell code that computes nothing from code that computes something, even
wrongly? The rules are plain functions of what came back; the whole-grader
checks are the trivial kinds of tests/corpus (test_grading_corpus.py)."""
import numpy as np
import pytest

from autograder.suite import work_done

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 5))
H0 = RNG.standard_normal((3, 2))
H = np.tanh(RNG.standard_normal((3, 4, 2)))
H_MOVED = H + 0.1 * RNG.standard_normal(H.shape)


def verdict(base, moved, expected=H, expected_moved=H_MOVED, inputs=None):
    inputs = {"X": X, "h0": H0} if inputs is None else inputs
    return work_done.nothing_computed("rnn_forward", {"H": base}, {"H": moved}, {"H": expected},
                                      {"H": expected_moved}, inputs)


def test_an_output_that_changes_with_its_inputs_is_work_done():
    """Does a genuinely computed output pass, even one far from the reference's?"""
    assert verdict(H * 3 + 1, H_MOVED * 3 + 1) is None


@pytest.mark.parametrize("what, base, moved", [
    ("zeros", np.zeros_like(H), np.zeros_like(H)),
    ("a constant", np.full_like(H, 0.5), np.full_like(H, 0.5)),
    ("a tiny change", H * 1e-9, H * 1e-9 + 1e-15),
])
def test_an_output_that_does_not_change_is_no_work(what, base, moved):
    """Do zeros, a constant, or a change a millionth of the reference's fail, saying so?"""
    failure = verdict(base, moved)
    assert failure is not None and failure.cause == "trivial", what
    assert "H does not change when its inputs change" in str(failure)


def test_an_input_repeated_along_a_new_axis_is_an_echo():
    """Is h0 repeated at every step an echo of h0, and h0 computed on at every step not?"""
    inputs = {"X": X, "h0": H0}
    assert work_done.echo_of(np.broadcast_to(H0[:, None, :], H.shape).copy(), inputs) == "h0"
    assert work_done.echo_of(np.tanh(np.broadcast_to(H0[:, None, :], H.shape)), inputs) is None


def test_one_step_of_an_input_is_an_echo():
    """Is dH[:, 0] returned as dh0 an echo of dH (the upstream gradient, unchanged)?"""
    dH = RNG.standard_normal((3, 4, 2))
    assert work_done.echo_of(dH[:, 0].copy(), {"dH": dH}) == "dH"
    assert work_done.echo_of(dH[:, 0] * 2, {"dH": dH}) is None


def test_an_echoed_output_is_no_work_even_though_it_changes():
    """Does returning an input pass the change test yet fail as an echo, naming the input?"""
    echoed = np.broadcast_to(H0[:, None, :], H.shape).copy()
    failure = verdict(echoed, echoed + 1.0)
    assert failure is not None and "H is its input h0, unchanged" in str(failure)


def test_random_values_are_no_work():
    """Do two calls on the same inputs that disagree fail as random values?"""
    failure = work_done.nondeterministic("tanh", {"its result": H}, {"its result": H_MOVED}, {"its result": H})
    assert failure is not None and failure.cause == "trivial" and "random values?" in str(failure)
    assert work_done.nondeterministic("tanh", {"its result": H}, {"its result": H.copy()}, {"its result": H}) is None


def test_outputs_of_the_wrong_kind_are_named():
    """Does a function that returns other outputs than the reference's fail with the cause "type"?"""
    failure = work_done.nondeterministic("rnn_forward", {"H[0]": H}, {"H[0]": H}, {"H": H})
    assert failure is not None and failure.cause == "type" and "expected H" in str(failure)


def test_agreeing_with_the_reference_settles_it():
    """Does agreement with the reference at the telling input count as work done (one run suffices)?"""
    assert work_done.agrees({"H": H.astype(np.float32)}, {"H": H})
    assert not work_done.agrees({"H": H + 1e-2}, {"H": H})
    assert not work_done.agrees({"H": H}, {"H": H, "c": H})
