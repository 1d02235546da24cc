"""Are the contract's rules of composition (autograder/suite/compositions.py)
right? Composed from the reference's own parts, every composite function
must give the reference's result, whichever way σ' and tanh' are taken, and
call exactly the parts contract.BUILT_FROM names."""
import numpy as np
import pytest

from autograder import contract
from autograder.suite import carry_forward, compositions, diagnosis
from autograder.suite.compositions import COMPOSITIONS
from autograder.suite.inputs import TELLING

from local_student import LocalStudent

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

COMPOSITES = sorted(COMPOSITIONS, key=list(contract.FUNCTIONS).index)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return corpus.import_submission(corpus.materialize_reference(tmp_path_factory.mktemp("reference")))


def telling_call(function, dtype="float64"):
    example = carry_forward.telling_example(function)
    call = carry_forward.Call.of(example)
    if dtype == "float32":
        call = carry_forward.Call(call.function, as_float32(call.args), call.kwargs, call.forward,
                                  None if call.upstream is None else as_float32(call.upstream))
    return call


def as_float32(tree):
    if isinstance(tree, dict):
        return {k: as_float32(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [as_float32(v) for v in tree]
    return tree.astype(np.float32) if isinstance(tree, np.ndarray) and tree.dtype.kind == "f" else tree


def test_every_function_built_from_others_has_a_composition():
    """Is there a composition for every function contract.BUILT_FROM names, and parts that exist?"""
    assert set(COMPOSITIONS) == set(contract.BUILT_FROM)
    assert all(set(parts) <= set(contract.FUNCTIONS) for parts in contract.BUILT_FROM.values())


@pytest.mark.parametrize("style", carry_forward.STYLES, ids=lambda s: f"{s.sigmoid}-{s.tanh}")
@pytest.mark.parametrize("rebuilt", [False, True], ids=["parts", "activations"])
@pytest.mark.parametrize("function", COMPOSITES)
def test_composed_from_the_references_parts_it_is_the_reference(reference, function, rebuilt, style):
    """Composed from the reference's parts (or rebuilt from its activations), in either way of
    taking σ' and tanh', does each composite give the reference's own result?"""
    call = telling_call(function)
    parts = carry_forward.StudentParts(LocalStudent(reference))
    parts.style = style
    composed = call.run(carry_forward.Rebuilt(parts) if rebuilt else parts, composed=True)
    expected = call.run(carry_forward.StudentParts(LocalStudent(reference)))
    assert diagnosis.same_outputs(diagnosis.flat(composed, function), diagnosis.flat(expected, function), "float64")


@pytest.mark.parametrize("function", COMPOSITES)
def test_composed_in_float32_it_keeps_float32(reference, function):
    """Composed from float32 parts, does a composite come out in float32, close to the reference?"""
    call = telling_call(function, "float32")
    composed = diagnosis.flat(call.run(carry_forward.StudentParts(LocalStudent(reference)), composed=True), function)
    expected = diagnosis.flat(call.run(carry_forward.StudentParts(LocalStudent(reference))), function)
    assert all(value.dtype == np.float32 for value in composed.values())
    assert diagnosis.same_outputs(composed, expected, "float32", with_dtype=True)


@pytest.mark.parametrize("function", COMPOSITES)
def test_a_composition_calls_the_parts_the_contract_names(reference, function):
    """Does each composition call only the parts BUILT_FROM names, and all of them but a backward's
    own forward (which only its gradient check is judged against)?"""
    call = telling_call(function)
    called = set()
    for style in carry_forward.STYLES:
        parts = carry_forward.StudentParts(LocalStudent(reference))
        parts.style = style
        call.run(parts, composed=True)
        called |= {part.function for part in parts.calls}
    named = set(contract.BUILT_FROM[function])
    assert called <= named
    assert named - called <= {call.forward}


def test_a_part_returning_something_else_cannot_be_composed():
    """Does a part that returns a list, or the wrong shape, stop the composition (NotComposed)?"""
    class Parts:
        derivatives = compositions.Derivatives()

        def sigmoid(self, z):
            return [1.0]

    x, h_prev, params = TELLING.gate_args()
    with pytest.raises(compositions.NotComposed):
        compositions.forget_gate(Parts(), x, h_prev, params)
    Parts.sigmoid = lambda self, z: np.zeros((1, 1))
    with pytest.raises(compositions.NotComposed):
        compositions.forget_gate(Parts(), x, h_prev, params)
