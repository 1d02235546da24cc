"""Does error carried forward (autograder/suite/carry_forward.py) keep credit
exactly where a function is right given the student's own parts, and nowhere
else? Judged here in this process, on corpus submissions called through a
stand-in for the worker (local_student.py); the grader's figures on the
whole corpus are in test_grading_corpus.py."""
import functools
import types

import numpy as np
import pytest

from autograder.failures import GradingFailure
from autograder.suite import carry_forward, diagnosis, problems, work_done
from autograder.suite.conftest import Reference
from autograder.suite.inputs import TELLING, TINY

from local_student import LocalStudent

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

REF = Reference(corpus.REFERENCE_DIR)
CASES = {case.name: case for case in corpus.load_wrong_cases()}


@functools.cache
def submission(name, tmp_root):
    """A corpus submission's modules: a wrong case's name, or "correct:<name>"."""
    if name.startswith("correct:"):
        folder = corpus.materialize_correct(name[8:], f"{tmp_root}/{name[8:]}")
    else:
        folder = corpus.materialize_wrong(CASES[name], f"{tmp_root}/{name}")
    return corpus.import_submission(folder)


@pytest.fixture
def student(tmp_path_factory):
    root = tmp_path_factory.getbasetemp()
    return lambda name: LocalStudent(submission(name, str(root)))


def forward(problem):
    return diagnosis.forward_example(problem)


def backward(problem):
    return diagnosis.backward_example(problem)


def judged(student, example, cause="value"):
    return carry_forward.judge(student, REF, example, cause)


def with_lstm(modules, **functions):
    """`modules` with some of lstm.py's functions replaced."""
    lstm = types.SimpleNamespace(**vars(modules["lstm"]))
    vars(lstm).update(functions)
    return {**modules, "lstm": lstm}


# --- credit kept ----------------------------------------------------------------------

def test_a_step_built_on_a_wrong_gate_is_right_given_it(student):
    """Is lstm_step_forward, built on a forget gate written with tanh, right given its parts,
    and does the verdict name the gate and where it differs?"""
    entry = judged(student("parts_forget_gate_tanh"), forward(problems.lstm_step(TELLING)))
    assert entry["via"] == "parts" and entry["culprits"] == ["forget_gate"]
    assert set(entry["built_from"]) == {"forget_gate", "input_gate", "input_node", "output_gate", "cell_state",
                                        "hidden_state"}
    assert entry["first"]["difference"].startswith("F differs from the expected values at index")


def test_a_sequence_names_the_step_and_the_time_step(student):
    """Is lstm_forward right given its lstm_step_forward, the first differing step named?"""
    entry = judged(student("parts_forget_gate_tanh"), forward(problems.lstm_sequence(TELLING)))
    assert entry["culprits"] == ["lstm_step_forward"] and entry["first"]["where"] == "at step t=0"


def test_a_backward_built_on_a_wrong_derivative_is_right_given_it(student):
    """Are the step's and the sequence's backward passes right given a tanh_prime taken at the output,
    the step's gradient check included?"""
    wrong = student("parts_tanh_prime_of_output")
    step = judged(wrong, backward(problems.rnn_step(TINY)))
    assert step["culprits"] == ["tanh_prime"]
    sequence = judged(wrong, backward(problems.lstm_sequence(TELLING)))
    assert sequence["culprits"] == ["lstm_step_backward"] and sequence["first"]["where"] == "at step t=3"


def test_the_bidirectional_pass_names_its_direction(student):
    """Is bilstm_forward right given lstm_forward, the direction that differs named?"""
    entry = judged(student("parts_forget_gate_tanh"), forward(problems.bilstm(TELLING)))
    assert entry["culprits"] == ["lstm_forward"] and entry["first"]["where"] == "in the forward direction"


def test_a_backward_is_right_when_only_its_forward_is_wrong(student):
    """Is an lstm_step_backward that is the reference's, on the cache of a forward that takes h from
    c_prev, right given that forward (so its gradient check keeps credit, naming the forward)?"""
    entry = judged(student("parts_lstm_hidden_from_c_prev"), backward(problems.lstm_step(TINY)))
    assert entry["via"] == "reference" and entry["culprits"] == ["lstm_step_forward"]


def test_a_step_that_calls_sigmoid_itself(student):
    """Is a GRU step that calls sigmoid itself right given a sigmoid that overflows, at extreme inputs?"""
    problem = problems.at_extreme_inputs(problems.gru_step(TELLING))
    entry = judged(student("sigmoid_naive_exp_ratio"), forward(problem))
    assert entry is not None and entry["culprits"] == ["sigmoid"]


def test_a_step_that_inlines_its_gates_is_rebuilt_from_the_activations(student):
    """Is an lstm_step_forward that writes its gates inline with the student's sigmoid (σ(−z) here), while
    the gate functions are right, right given the activations, naming sigmoid?"""
    modules = student("parts_sigmoid_sign_flipped").modules
    sigmoid, tanh = modules["activations"].sigmoid, modules["activations"].tanh

    def lstm_step_forward(x, h_prev, c_prev, params):
        a = {g: x @ params["W_x" + g] + h_prev @ params["W_h" + g] + params["b_" + g] for g in "fico"}
        c = sigmoid(a["f"]) * c_prev + sigmoid(a["i"]) * tanh(a["c"])
        return sigmoid(a["o"]) * tanh(c), c, None

    gates = {gate: getattr(REF, gate) for gate in ("forget_gate", "input_gate", "input_node", "output_gate")}
    inline = LocalStudent(with_lstm(modules, lstm_step_forward=lstm_step_forward, **gates))
    entry = judged(inline, forward(problems.lstm_step(TELLING)))
    assert entry["via"] == "activations" and entry["culprits"] == ["sigmoid"]


def test_a_dtype_failure_follows_its_part(student):
    """Does float64 out of a float32 tanh carry into the norms built on it, and name the part?"""
    problem = work_done.NORMS["gru_gradient_norms"](TELLING.as_dtype("float32"))
    entry = judged(student("tanh_casts_to_float64"), diagnosis.call_example("gru_gradient_norms", problem.args()),
                   cause="dtype")
    assert entry is not None and "has dtype float64, expected float32" in entry["first"]["difference"]


# --- no credit kept --------------------------------------------------------------------

def test_a_mistake_of_its_own_keeps_nothing(student):
    """Is a lstm_forward that ignores c0 (its own mistake, its step right) judged not consistent?"""
    assert judged(student("parts_lstm_forward_ignores_c0"), forward(problems.lstm_sequence(TELLING))) is None


def test_a_composite_whose_parts_are_right_keeps_nothing(student):
    """Is the function holding the mistake never carried forward, though it is 'consistent' in no way?"""
    assert judged(student("parts_forget_gate_tanh"),
                  diagnosis.call_example("forget_gate", list(TELLING.gate_args()))) is None


def test_crashes_and_trivial_causes_are_not_carried(student):
    """Are failures that are no wrong value (a crash, an argument changed, no work) never carried?"""
    example = forward(problems.lstm_sequence(TELLING))
    for cause in ("crash", "mutation", "trivial", "type"):
        assert judged(student("parts_forget_gate_tanh"), example, cause) is None


def test_a_composite_that_ignores_its_parts_keeps_nothing(student):
    """Does an lstm_forward that returns zeros, over a step that computes, keep nothing?"""
    modules = student("parts_forget_gate_tanh").modules
    real = modules["lstm"].lstm_forward
    zeros = with_lstm(modules, lstm_forward=lambda X, h0, c0, params: (0 * real(X, h0, c0, params)[0], None))
    assert judged(LocalStudent(zeros), forward(problems.lstm_sequence(TELLING))) is None


def test_trivial_parts_earn_no_credit(student):
    """Does a sequence consistent with a step that computes nothing (it returns h_prev) keep nothing,
    though it agrees with that step?"""
    def lstm_forward(X, h0, c0, params):
        h, c, hs = h0, c0, []
        for t in range(X.shape[1]):
            h, c, _ = trivial.modules["lstm"].lstm_step_forward(X[:, t], h, c, params)
            hs.append(h)
        return np.stack(hs, axis=1), None

    modules = with_lstm(student("correct:from_parts").modules, lstm_forward=lstm_forward,
                        lstm_step_forward=lambda x, h_prev, c_prev, params: (h_prev, c_prev, None))
    trivial = LocalStudent(modules)
    example = forward(problems.lstm_sequence(TELLING))
    assert carry_forward.consistent(trivial, REF, carry_forward.Call.of(example)) is not None
    with pytest.raises(GradingFailure):
        work_done.require_work(trivial, REF, "lstm_step_forward")
    assert judged(trivial, example) is None


def test_a_shrunk_example_cannot_hide_a_mistake_of_its_own(student):
    """Does a composite with a mistake of its own that a size-1 example hides keep nothing, because it
    is not consistent with its parts at its telling input?"""
    assert not carry_forward.consistent_at_telling(student("parts_lstm_forward_ignores_c0"), REF, "lstm_forward")
    assert carry_forward.consistent_at_telling(student("parts_forget_gate_tanh"), REF, "lstm_forward")


def test_the_reference_never_needs_carrying(student):
    """Is every composite of a correct solution built from parts consistent at its telling input
    (and so never a reason to keep or refuse credit)?"""
    correct = student("correct:from_parts")
    for function in carry_forward.COMPOSITIONS:
        assert carry_forward.consistent_at_telling(correct, REF, function), function


def test_an_error_while_judging_leaves_the_grade_alone(monkeypatch):
    """Does a failure of the judging itself keep the grade as it was and say so in the metadata?"""
    monkeypatch.setattr(carry_forward, "judge", lambda *a: 1 / 0)
    failure = GradingFailure("lstm_forward: H differs")
    failure.evidence = diagnosis.Evidence(forward(problems.lstm_sequence(TELLING)))
    metadata = {}
    carry_forward.annotate(metadata, failure, object(), REF)
    assert "carried_forward" not in metadata and metadata["carried_forward_error"].startswith("ZeroDivisionError")


# Which parts are right, for diagnosis.py

def test_parts_right_at_their_telling_input(student):
    """A flipped sigmoid is wrong, and so is every gate and step built on it; tanh is still right."""
    flipped = student("parts_sigmoid_sign_flipped")
    assert not carry_forward.right_at_telling(flipped, REF, "sigmoid")
    assert not carry_forward.right_at_telling(flipped, REF, "gru_step_forward")
    assert carry_forward.right_at_telling(flipped, REF, "tanh")
    correct = student("correct:from_parts")
    assert all(carry_forward.right_at_telling(correct, REF, function) for function in ("sigmoid", "forget_gate",
               "lstm_step_forward", "lstm_step_backward", "gru_backward"))


def test_no_diagnosis_names_a_mistake_built_on_a_wrong_part():
    """A mutant that matches only because a part it is built on is wrong (a flipped sigmoid
    looks like a GRU's swapped update gate where h_prev is 0) names no mistake."""
    failure = types.SimpleNamespace(evidence=object())
    mistake = types.SimpleNamespace(function="gru_step_forward", title="swapped", explanation="e",
                                    as_diagnosis=lambda: {"id": "gru_update_gate_swapped"})
    for right, named in ((lambda part: True, True), (lambda part: part != "sigmoid", False)):
        metadata = {}
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(diagnosis, "diagnose", lambda failure, folder: mistake)
            patch.setattr(diagnosis, "reference_folder", lambda ref: None)
            diagnosis.annotate(metadata, failure, REF, right)
        assert ("diagnosis" in metadata) is named
