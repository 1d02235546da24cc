"""The plot data of failed tests (autograder/suite/plots.py): made only for
failures about values, shaped as report.schema.json says, and showing the
mistake: a missing carry as error growing back in time, an off-by-one
truncation as error around the chunk boundaries, a wrong gradient as the
blocks beyond tolerance, Part 8's norms beside the reference's. The suite's
checks run here in this process on corpus submissions called through a
stand-in for the worker (local_student.py); no sandbox.
"""
import functools
import json

import jsonschema
import numpy as np
import pytest

from autograder.failures import GradingFailure
from autograder.report.schema import load_schema
from autograder.suite import plots, problems
from autograder.suite.conftest import Reference
from autograder.suite.inputs import Case

from local_student import LocalStudent

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

REF = Reference(corpus.REFERENCE_DIR)
CASES = {case.name: case for case in corpus.load_wrong_cases()}
SEQUENCE = Case(N=2, T=6, D=3, H=4, seed=1)


@functools.cache
def submission(name, tmp_root):
    """A corpus submission's modules: a wrong case's name, or "reference"."""
    if name == "reference":
        return corpus.import_submission(corpus.materialize_reference(f"{tmp_root}/reference"))
    return corpus.import_submission(corpus.materialize_wrong(CASES[name], f"{tmp_root}/{name}"))


@pytest.fixture
def student(tmp_path_factory):
    root = str(tmp_path_factory.getbasetemp())
    return lambda name: LocalStudent(submission(name, root))


def failure_plots(check, *args):
    """The plots of the GradingFailure that check(*args) raises."""
    with pytest.raises(GradingFailure) as raised:
        check(*args)
    return plots.collect(raised.value)


def validate_plot(plot):
    schema = load_schema("report")
    jsonschema.validate(plot, {**schema["$defs"]["plot"], "$defs": schema["$defs"]})
    json.dumps(plot, allow_nan=False)   # plain JSON: no nan, no inf, no NumPy types


def test_a_missing_carry_shows_as_error_growing_back_in_time(student):
    """rnn_backward without the carry of dh: is dX right at the last step only, and wrong before it?"""
    problem = problems.rnn_sequence(SEQUENCE)
    found = failure_plots(problems.backward_matches_reference, student("rnn_backward_no_carry"), REF, problem)
    step = next(p for p in found if p["kind"] == "per_step")
    validate_plot(step)
    errors = step["series"]["dX"]
    assert step["x"] == list(range(SEQUENCE.T)) and len(errors) == SEQUENCE.T
    assert errors[-1] <= step["threshold"] < min(errors[:-1])
    blocks = next(p for p in found if p["kind"] == "per_block")
    validate_plot(blocks)
    assert blocks["x"][:2] == ["dX", "dh0"] and set(blocks["x"][2:]) == {"dW_xh", "dW_hh", "db_h"}
    assert set(blocks["highlight"]) == set(blocks["x"])   # every gradient is wrong without the carry


def test_an_off_by_one_truncation_is_marked_at_its_chunk_boundaries(student):
    """Does the plot mark where truncate=k cuts, and is dX right in the last chunk, wrong before?"""
    problem = problems.rnn_sequence(Case(N=2, T=7, D=3, H=4, seed=5), truncate=3)
    found = failure_plots(problems.backward_matches_reference, student("rnn_backward_truncate_off_by_one"), REF,
                          problem)
    step = next(p for p in found if p["kind"] == "per_step")
    validate_plot(step)
    assert step["marks"] == [3, 6] and "truncate=3" in step["marks_label"]
    assert max(step["series"]["dX"][6:]) <= step["threshold"] < max(step["series"]["dX"][:6])


def test_a_step_backward_plots_its_wrong_gradients_only(student):
    """lstm_step_backward without the dh → dc path: one per_block plot (no time axis), the wrong blocks highlighted."""
    found = failure_plots(problems.backward_matches_reference, student("lstm_step_backward_missing_dh_to_dc"), REF,
                          problems.lstm_step(Case(N=2, T=1, D=3, H=4, seed=2)))
    assert [p["kind"] for p in found] == ["per_block"]
    validate_plot(found[0])
    errors = dict(zip(found[0]["x"], found[0]["series"]["relative error"]))
    assert set(found[0]["highlight"]) == {label for label, e in errors.items() if e > 1e-6}
    assert "dc_prev" in found[0]["highlight"]


def test_a_gradient_check_plots_each_block_against_finite_differences(student):
    """Does the gradient check of a wrong backward plot each block's relative error, the failing ones highlighted?"""
    problem = problems.rnn_sequence(Case(N=2, T=3, D=2, H=2, seed=4))
    found = failure_plots(problems.backward_gradient_check, student("rnn_backward_no_carry"), problem)
    assert [p["kind"] for p in found] == ["per_block"]
    validate_plot(found[0])
    assert found[0]["x"] == ["dX", "dh0", "dW_xh", "dW_hh", "db_h"] and found[0]["highlight"]
    errors = dict(zip(found[0]["x"], found[0]["series"]["relative error"]))
    assert all(errors[label] > 1e-4 for label in found[0]["highlight"])


def test_the_reference_fails_nothing_and_leaves_no_plot(student):
    """On the reference, do the checks pass (so a passing test never carries plot data)?"""
    reference = student("reference")
    problem = problems.rnn_sequence(SEQUENCE)
    problems.forward_matches_reference(reference, REF, problem)
    problems.backward_matches_reference(reference, REF, problem)
    problems.backward_gradient_check(reference, problem)


def test_norms_are_drawn_beside_the_reference(student):
    """Part 8: is a wrong norms function drawn as two curves over t, yours beside the reference's?"""
    from autograder.suite import test_sequences
    found = failure_plots(test_sequences.norms_match_reference, student("rnn_norms_loss_on_every_step"), REF,
                          "rnn_gradient_norms", SEQUENCE)
    assert [p["kind"] for p in found] == ["curves"]
    validate_plot(found[0])
    assert list(found[0]["series"]) == ["yours", "reference"]
    assert found[0]["series"]["yours"] != found[0]["series"]["reference"]
    assert len(found[0]["x"]) == SEQUENCE.T


def test_only_failures_about_values_get_plots():
    """Is a plot maker attached to a wrong value, and not to a wrong shape or a crash?"""
    for cause, expected in (("value", 1), ("shape", 0), ("crash", 0)):
        with pytest.raises(GradingFailure) as raised:
            with plots.on_failure(lambda: [plots.curves("t", {"yours": [1.0, 2.0]})]):
                raise GradingFailure("wrong", cause=cause)
        assert len(plots.collect(raised.value)) == expected, cause


def test_a_maker_runs_only_when_its_plots_are_collected():
    """Is a maker left uncalled when a check passes, or fails without its result being written?"""
    calls = []

    def make():
        calls.append(1)
        return [plots.curves("t", {"yours": [1.0]})]
    with plots.on_failure(make):
        pass
    with pytest.raises(GradingFailure) as raised:
        with plots.on_failure(make):
            raise GradingFailure("wrong")
    assert calls == []
    assert len(plots.collect(raised.value)) == 1 and calls == [1]


def test_a_maker_that_fails_costs_nothing():
    """Does a plot maker that raises leave the failure without plots, and the others' plots intact?"""
    failure = GradingFailure("wrong")
    plots.attach(failure, lambda: 1 / 0)
    plots.attach(failure, lambda: [plots.curves("t", {"yours": [1.0]})])
    assert [p["kind"] for p in plots.collect(failure)] == ["curves"]


def test_values_are_plain_finite_json():
    """Are nan and inf written as null, NumPy numbers as floats, and long series capped?"""
    plot = plots.clean(plots.curves("t", {"yours": np.array([np.nan, np.inf, 1 / 3] + [1.0] * 500)}))
    validate_plot(plot)
    assert plot["series"]["yours"][:3] == [None, None, 0.3333]
    assert len(plot["series"]["yours"]) == len(plot["x"]) == plots.MAX_POINTS


def test_relative_error_survives_exploding_gradients():
    """Is the relative error of gradients near 1e160 finite (scaled before squaring)?"""
    a = np.full(4, 1e160)
    assert plots.relative_error(a, a) == 0.0
    assert plots.relative_error(a, 2 * a) == pytest.approx(1 / 3)
    assert plots.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_the_lessons_are_drawn_from_the_failures_evidence(student):
    """Does a failed lesson of Part 8 (a test with no maker of its own) get, from what its check called
    and what came back, the student's norms beside the reference's on that very example?"""
    from autograder.suite import test_sequences
    with pytest.raises(GradingFailure) as raised:
        test_sequences.test_rnn_gradients_vanish_with_small_recurrent_weights(
            student("rnn_norms_loss_on_every_step"), REF)
    assert not getattr(raised.value, "plot_makers", None)
    found = plots.collect(raised.value, REF)
    assert [p["kind"] for p in found] == ["curves"]
    validate_plot(found[0])
    yours, reference = found[0]["series"]["yours"], found[0]["series"]["reference"]
    assert reference[0] < 1e-3 * reference[-1] and yours[0] > 0.1 * yours[-1]   # the reference's vanish, yours not
    assert plots.collect(raised.value) == []   # without the reference, nothing to draw it beside


def test_clip_gradients_is_drawn_from_the_failures_evidence(student):
    """Does clip_gradients clipping each array alone get a bar per clipped array, the wrong ones highlighted?"""
    from autograder.suite import test_bptt
    with pytest.raises(GradingFailure) as raised:
        test_bptt.test_clip_gradients_matches_reference(student("clip_per_array"), REF)
    found = plots.collect(raised.value, REF)
    assert [p["kind"] for p in found] == ["per_block"]
    validate_plot(found[0])
    assert found[0]["highlight"] and set(found[0]["highlight"]) <= set(found[0]["x"])
