"""Is the catalogue of known mistakes (autograder/suite/misconceptions.toml)
sound, and does diagnosis.py name a mistake only when exactly one explains
what came back?

The catalogue's own tests: every mutant loads, differs from the reference on
the function it names, and no two mistakes (outside a declared group) look
alike on the inputs the grading suite uses. The rules of a diagnosis are
tested here on results made in this process; the whole-grader figures on the
corpus are in test_grading_corpus.py.
"""
import dataclasses
import sys
import types
from itertools import combinations

import numpy as np
import pytest

from autograder import contract
from autograder.failures import GradingFailure
from autograder.sandbox.outside.student_code import Returned
from autograder.suite import diagnosis, lessons, mutants, problems
from autograder.suite.inputs import TELLING, TINY, Case, gradient_dict

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

REFERENCE = str(corpus.REFERENCE_DIR)
# What diagnosis reads of the suite's `ref` fixture: where the reference's modules are.
REF_FIXTURE = types.SimpleNamespace(
    modules={"activations": types.SimpleNamespace(__file__=f"{REFERENCE}/activations.py")})
CATALOGUE = mutants.catalogue()
IDS = [mistake.id for mistake in CATALOGUE]
MIN_MISTAKES = 25

# What the issue asks the catalogue to hold, at least (by id).
REQUIRED = (
    "sigmoid_prime_at_output", "tanh_prime_at_output",            # a derivative taken at the output
    "forget_gate_tanh", "input_node_sigmoid",                     # tanh and σ swapped in a gate
    "forget_gate_no_bias", "input_node_no_bias",                  # a gate without its bias
    "forget_gate_uses_w_hi",                                      # a gate using another gate's weights
    "rnn_backward_w_hh_not_transposed", "rnn_forward_w_hh_transposed",
    "rnn_bias_gradient_mean", "lstm_bias_gradient_mean",          # a batch mean where a sum belongs
    "norms_per_row_summed",                                       # a sum of per-row norms where one norm belongs
    "rnn_backward_no_carry", "lstm_backward_no_dh_carry", "lstm_backward_no_dc_carry",
    "lstm_no_dh_to_dc", "lstm_dc_prev_without_f",
    "rnn_backward_forwards_in_time", "lstm_backward_forwards_in_time",
    "rnn_h0_every_step", "truncate_off_by_one", "clip_per_array",
    "gru_reset_after_matmul",                                     # PyTorch's GRU convention
    "bilstm_not_flipped_back", "stacked_every_layer_reads_x",
    "gru_forward_float64_buffer", "lstm_step_backward_float64_buffer",
    "clip_in_place", "rnn_backward_writes_into_dh", "lstm_step_forward_writes_params",
    "encode_no_lowercase", "encode_split_on_spaces", "encode_drops_unknown",
)


# ---------------------------------------------------------------- the suite's inputs

ACTIVATIONS = ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime")
GATES = ("forget_gate", "input_gate", "input_node", "output_gate", "cell_state", "hidden_state")
PAIRS = (problems.rnn_step, problems.rnn_sequence, problems.lstm_step, problems.lstm_sequence, problems.bilstm,
         problems.stacked, problems.gru_step, problems.gru_sequence)
NORMS = {"rnn_gradient_norms": problems.rnn_sequence, "lstm_gradient_norms": problems.lstm_sequence,
         "gru_gradient_norms": problems.gru_sequence}
EXTREME_Z = (np.array([-1e4, -710.0, -40.0, 0.0, 40.0, 710.0, 1e4]),
             np.array([-1e4, -89.0, -20.0, 0.0, 20.0, 89.0, 1e4], np.float32))


@dataclasses.dataclass(frozen=True, eq=False)
class Probe:
    """One example the suite feeds a function, judged as a failure of `cause` would be."""
    cause: str
    example: diagnosis.Example
    label: str

    def result(self, modules):
        return diagnosis.JUDGES[self.cause].result(self.example, modules)

    def alike(self, one, other):
        """Whether two results of this probe are the same (both raised alike, or agree)."""
        if one is None or other is None:
            return one is None and other is None
        if self.cause == "mutation":
            return one == other
        return diagnosis.same_outputs(one, other, self.example.dtype, with_dtype=self.cause == "dtype")


def gate_args(function, case):
    if function == "cell_state":
        return case.cell_state_args()
    if function == "hidden_state":
        return case.hidden_state_args()
    return case.gate_args()


def suite_probes():
    """Examples of the kinds the grading suite draws, per function: the telling
    and tiny cases, extreme inputs, float32 (dtype), arguments changed in place."""
    found = []

    def add(cause, example, label):
        found.append(Probe(cause, example, label))

    for function in ACTIVATIONS:
        add("value", diagnosis.call_example(function, [np.linspace(-3, 3, 12).reshape(3, 4)]), f"{function} linspace")
        for z in EXTREME_Z:
            add("value", diagnosis.call_example(function, [z]), f"{function} extreme {z.dtype}")
        add("dtype", diagnosis.call_example(function, [np.linspace(-3, 3, 24, dtype=np.float32)]),
            f"{function} float32")
    for function in GATES:
        for case in (TELLING, TELLING.as_dtype("float32")):
            add("value" if case.dtype == "float64" else "dtype",
                diagnosis.call_example(function, gate_args(function, case)), f"{function} {case.dtype}")
        args = gate_args(function, TELLING)
        add("mutation", diagnosis.call_example(function, args), f"{function} mutation")
        if function.endswith(("gate", "node")):   # huge x and h_prev, or a huge cell state
            big = [args[0] * 1e3, args[1] * 1e3, args[2]]
        else:
            big = args[:-1] + [args[-1] * 1e3]
        add("value", diagnosis.call_example(function, big), f"{function} extreme")
    for make in PAIRS:
        cases = [TELLING, TINY] + [dataclasses.replace(TELLING, H2=TELLING.H + d) for d in (-1, 1)]
        for case in cases:
            problem = make(case)
            add("value", diagnosis.forward_example(problem), f"{problem.forward} {case}")
            add("value", diagnosis.backward_example(problem), f"{problem.backward} {case}")
        problem = make(TELLING)
        add("value", diagnosis.forward_example(problems.at_extreme_inputs(problem)), f"{problem.forward} extreme")
        for example in (diagnosis.forward_example, diagnosis.backward_example):
            add("mutation", example(problem), f"{problem.forward} mutation")
            add("dtype", example(make(TELLING.as_dtype("float32"))), f"{problem.forward} float32")
    for k in range(1, 5):
        problem = problems.rnn_sequence(Case(N=2, T=7, D=3, H=4, seed=5), truncate=k)
        add("value", diagnosis.backward_example(problem), f"rnn_backward truncate={k}")
    for seed, scale, dtype in [(1, 10.0, "float64"), (2, 0.01, "float64"), (3, 10.0, "float32"), (3, 1e20, "float32"),
                               (4, 1e160, "float64")]:
        grads = gradient_dict(seed, scale, dtype)
        for cause in ("value", "mutation", "dtype"):
            add(cause, diagnosis.call_example("clip_gradients", [grads, 5.0]), f"clip {scale} {dtype}")
    for text, pairs in lessons.ENCODE_EXAMPLES:
        add("value", diagnosis.call_example("encode", [text, dict(pairs)]), f"encode {text!r}")
    add("dtype", diagnosis.call_example("encode", ["", dict(lessons.BASIC_VOCAB)]), "encode ''")
    add("mutation", diagnosis.call_example("encode", [lessons.TELLING_TEXTS[0], dict(lessons.BASIC_VOCAB)]),
        "encode mutation")
    for V, T, D, seed in ((6, 9, 4, 7), (4, 0, 3, 1)):
        add("value", diagnosis.call_example("embed", [lessons.token_ids(V, T, seed), lessons.embedding(V, D, seed)]),
            f"embed {V, T, D}")
    for function, make in NORMS.items():
        for case in (TELLING, TELLING.as_dtype("float32")):
            add("value" if case.dtype == "float64" else "dtype", diagnosis.call_example(function, make(case).args()),
                f"{function} {case.dtype}")
    for cell in ("lstm", "gru"):
        add("value", diagnosis.call_example(f"{cell}_gradient_norms", lessons.gated(cell, 5)), f"{cell} gated")
    add("value", diagnosis.call_example("rnn_gradient_norms",
                                        list(lessons.scaled_rnn(2, 12, 3, 5, 5, lessons.VANISHING_SCALE, 1.0))),
        "rnn vanishing")
    return found


PROBES = suite_probes()


@pytest.fixture(scope="module")
def results():
    """Probe -> (the reference's result, {mistake id: its result} for the mistakes that can change it)."""
    table = {}
    for probe in PROBES:
        reference = probe.result(mutants.reference_modules(REFERENCE))
        table[probe] = (reference, {mistake.id: probe.result(mutants.mutant(REFERENCE, mistake.id))
                                    for mistake in mutants.candidates(REFERENCE, probe.example.runs)})
    return table


def result_of(table, probe, mistake_id):
    reference, theirs = table[probe]
    return theirs.get(mistake_id, reference)


# ---------------------------------------------------------------- the catalogue

def test_catalogue_holds_the_known_mistakes():
    """Does the catalogue hold at least 25 mistakes, the issue's list among them, each told in one sentence?"""
    assert len(CATALOGUE) >= MIN_MISTAKES
    assert not set(REQUIRED) - set(IDS), sorted(set(REQUIRED) - set(IDS))
    for mistake in CATALOGUE:
        assert mistake.explanation.strip() and "\n" not in mistake.explanation, mistake.id
        assert mistake.title and not mistake.title.endswith("."), mistake.id


@pytest.mark.parametrize("mistake_id", IDS)
def test_mutant_loads(mistake_id):
    """Do its edits apply to the reference, and does the mutant build, with its function?"""
    modules = mutants.mutant(REFERENCE, mistake_id)
    assert callable(getattr(modules, mutants.by_id()[mistake_id].function))


def test_mutants_leave_the_real_modules_alone():
    """Are a mutant's modules private: not in sys.modules, and importing each other, not the reference's?"""
    before = {name: sys.modules.get(name) for name in contract.MODULES}
    modules = mutants.mutant(REFERENCE, "sigmoid_overflow")
    assert {name: sys.modules.get(name) for name in contract.MODULES} == before
    assert all(module is not sys.modules.get(name) for name, module in modules.modules.items())
    assert modules.modules["lstm"].sigmoid is modules.modules["activations"].sigmoid   # the mutated one
    unmutated = mutants.reference_modules(REFERENCE).modules
    assert modules.modules["lstm"] is not unmutated["lstm"]          # imports the mutated activations
    gru_only = mutants.mutant(REFERENCE, "gru_update_gate_swapped").modules
    assert gru_only["lstm"] is unmutated["lstm"] and gru_only["gru"] is not unmutated["gru"]


def test_a_find_that_is_not_there_is_refused():
    """Does an edit whose find text is not in the reference fail, naming the mistake?"""
    bad = dataclasses.replace(CATALOGUE[0], id="bad", edits=(mutants.Edit("rnn.py", "no such text", ""),))
    with pytest.raises(mutants.CatalogueError, match="bad: find text occurs 0 times"):
        mutants.mutated_sources(REFERENCE, bad)


@pytest.mark.parametrize("mistake_id", IDS)
def test_mutant_differs_from_the_reference_on_its_function(mistake_id, results):
    """Does the mutant give another result than the reference for the function it names, on an input the suite uses?"""
    function = mutants.by_id()[mistake_id].function
    telling = [probe.label for probe in PROBES if probe.example.function == function
               and not probe.alike(table_reference(results, probe), result_of(results, probe, mistake_id))]
    assert telling, f"{mistake_id} behaves like the reference on every probe of {function}"


def table_reference(table, probe):
    return table[probe][0]


def test_no_two_mistakes_look_alike(results):
    """Do any two mistakes (outside a declared group) give different results on some input the suite uses?"""
    alike = []
    for one, other in combinations(CATALOGUE, 2):
        if one.group and one.group == other.group:
            continue
        if all(probe.alike(result_of(results, probe, one.id), result_of(results, probe, other.id))
               for probe in PROBES):
            alike.append(f"{one.id} and {other.id}")
    assert not alike, "look alike on every probe (declare them one group, or drop one): " + "; ".join(alike)


def test_groups_are_groups():
    """Does every group hold at least two mistakes?"""
    groups = [mistake.group for mistake in CATALOGUE if mistake.group]
    assert all(groups.count(group) >= 2 for group in groups)


def test_corpus_cases_name_catalogued_mistakes():
    """Does every wrong case of the corpus name a mistake of the catalogue (or say "none")?"""
    unknown = {case.name: case.misconception for case in corpus.load_wrong_cases()
               if case.misconception != "none" and case.misconception not in IDS}
    assert not unknown, unknown


# ---------------------------------------------------------------- the rules of a diagnosis

def failure_of(probe, modules, cause="value"):
    """A GradingFailure with the evidence the suite would attach, the student's code being `modules`."""
    value, args, kwargs = probe.example.call(modules)
    failure = GradingFailure(f"{probe.example.function}: something differs", cause=cause)
    failure.evidence = diagnosis.Evidence(probe.example, Returned(value, [], [], 0.0))
    return failure


def probe_of(label):
    return next(probe for probe in PROBES if probe.label == label)


def named(failure):
    mistake = diagnosis.diagnose(failure, REFERENCE)
    return None if mistake is None else mistake.id


def test_a_result_one_mistake_explains_is_named():
    """Is a student whose lstm_step_backward forgets the dh → dc path told so, on its own test?"""
    probe = probe_of(f"lstm_step_backward {TELLING}")
    assert named(failure_of(probe, mutants.mutant(REFERENCE, "lstm_no_dh_to_dc"))) == "lstm_no_dh_to_dc"


def test_a_gate_mistake_is_named_in_the_passes_built_on_it():
    """Does a forget gate written with tanh name that gate in a failing lstm_forward?"""
    probe = probe_of(f"lstm_forward {TELLING}")
    assert named(failure_of(probe, mutants.mutant(REFERENCE, "forget_gate_tanh"))) == "forget_gate_tanh"


def test_the_reference_is_never_diagnosed():
    """Is a result the reference gives (a correct alternate's) never given a diagnosis?"""
    for probe in PROBES:
        if probe.cause == "value":
            assert named(failure_of(probe, mutants.reference_modules(REFERENCE))) is None, probe.label


def test_an_ambiguous_result_is_not_named():
    """Are norms of the last step only (T = 4: BPTT without the carry, or truncated at 3) left undiagnosed?"""
    probe = probe_of("rnn_gradient_norms float64")
    truncated, no_carry = (probe.result(mutants.mutant(REFERENCE, m)) for m in ("rnn_norms_truncated",
                                                                                 "rnn_backward_no_carry"))
    assert probe.alike(truncated, no_carry)
    assert named(failure_of(probe, mutants.mutant(REFERENCE, "rnn_norms_truncated"))) is None


def test_a_group_is_one_diagnosis():
    """Do F and I swapped by the gate order and by cell_state (alike in a step) give one diagnosis?"""
    probe = probe_of(f"lstm_step_forward {TELLING}")
    assert named(failure_of(probe, mutants.mutant(REFERENCE, "lstm_gate_order_pytorch"))) == "cell_state_swapped"


def test_a_result_that_computes_nothing_is_not_named():
    """Is σ'(0) = 0 (what z(1 − z) and zeros both give) left undiagnosed, as are zeros and echoed inputs?"""
    z = diagnosis.call_example("sigmoid_prime", [np.zeros(1)])
    failure = failure_of(Probe("value", z, "zero"), mutants.mutant(REFERENCE, "sigmoid_prime_at_output"))
    assert named(failure) is None
    probe = probe_of(f"rnn_forward {TELLING}")
    X, h0, _ = probe.example.arguments(None)[0]
    echo = GradingFailure("rnn_forward: H differs", cause="value")
    echo.evidence = diagnosis.Evidence(probe.example, Returned((np.repeat(h0[:, None], X.shape[1], 1), None),
                                                               [], [], 0.0))
    assert named(echo) is None


def test_a_crash_is_named_by_its_exception():
    """Is a stacked LSTM whose every layer reads X named from the error it raises, and only from that error?"""
    probe = probe_of(f"stacked_lstm_forward {TELLING}")
    text = diagnosis.JUDGES["crash"].result(probe.example, mutants.mutant(REFERENCE, "stacked_every_layer_reads_x"))
    assert text and text.startswith("ValueError: ")
    crash = GradingFailure(f"stacked_lstm_forward raised {text} (lstm.py:310 in stacked_lstm_forward)", cause="crash")
    crash.evidence = diagnosis.Evidence(probe.example)
    assert named(crash) == "stacked_every_layer_reads_x"
    other = GradingFailure("stacked_lstm_forward raised ValueError: something else (lstm.py:3 in f)", cause="crash")
    other.evidence = diagnosis.Evidence(probe.example)
    assert named(other) is None


def test_an_argument_changed_in_place_is_named_by_its_path():
    """Is clip_gradients scaling the caller's arrays named from the arguments it changed?"""
    probe = probe_of("clip 10.0 float64")
    probe = next(p for p in PROBES if p.label == probe.label and p.cause == "mutation")
    paths = list(probe.result(mutants.mutant(REFERENCE, "clip_in_place")))
    assert paths == ["grads['W_hh']", "grads['W_xh']", "grads['b_h']"]
    failure = GradingFailure("clip_gradients modified its arguments in place", cause="mutation")
    failure.evidence = diagnosis.Evidence(probe.example, Returned({}, paths, [], 0.0))
    assert named(failure) == "clip_in_place"
    failure.evidence = diagnosis.Evidence(probe.example, Returned({}, ["max_norm"], [], 0.0))
    assert named(failure) is None


def test_annotate_adds_the_field_and_the_sentence():
    """Does a diagnosed failure's metadata carry {id, title, explanation} and the feedback a sentence with the fix?"""
    probe = probe_of(f"lstm_step_backward {TELLING}")
    failure = failure_of(probe, mutants.mutant(REFERENCE, "lstm_dc_prev_without_f"))
    metadata = {"feedback": str(failure)}
    diagnosis.annotate(metadata, failure, REF_FIXTURE)
    assert metadata["diagnosis"] == mutants.by_id()["lstm_dc_prev_without_f"].as_diagnosis()
    assert metadata["feedback"].splitlines()[1] == (
        "Likely mistake, in lstm_step_backward: dc_prev not multiplied by F. "
        "C = F ⊙ c_prev + I ⊙ C̃, so dc_prev = dc ⊙ F.")


def test_a_diagnosis_that_fails_leaves_the_grade_alone():
    """Does an error inside the diagnosis leave the feedback as it was and note the error?"""
    failure = GradingFailure("rnn_forward: H differs", cause="value")
    broken = diagnosis.Example("rnn_forward", lambda modules: 1 / 0, "float64", ("rnn_forward",))
    failure.evidence = diagnosis.Evidence(broken, Returned((np.full((3, 4, 2), 0.3), None), [], [], 0.0))
    metadata = {"feedback": "rnn_forward: H differs"}
    diagnosis.annotate(metadata, failure, REF_FIXTURE)
    assert metadata["feedback"] == "rnn_forward: H differs" and "diagnosis" not in metadata
    assert metadata["diagnosis_error"].startswith("ZeroDivisionError")


def test_a_shrunk_example_is_not_diagnosed():
    """Is a failure on an example Hypothesis shrank (sizes of 1, where mistakes coincide) left undiagnosed?"""
    probe = probe_of(f"lstm_step_backward {TELLING}")
    failure = failure_of(probe, mutants.mutant(REFERENCE, "lstm_no_dh_to_dc"))
    for shrunk, expected in ((False, "lstm_no_dh_to_dc"), (True, None)):
        metadata = {"feedback": str(failure), "example_shrunk": shrunk}
        diagnosis.annotate(metadata, failure, REF_FIXTURE)
        assert metadata.get("diagnosis", {}).get("id") == expected
