"""The gradient checks (suite/gradcheck.py): where each block sits in a
function's arguments, so that the worker changes that block only."""
import pytest

from autograder.suite import gradcheck, problems
from autograder.suite.inputs import TELLING


# ---------------------------------------------------------------- gradient checks' argument paths

@pytest.mark.parametrize("make", [problems.rnn_step, problems.rnn_sequence, problems.lstm_step,
                                  problems.lstm_sequence, problems.bilstm, problems.stacked,
                                  problems.gru_step, problems.gru_sequence], ids=lambda make: make.__name__)
def test_block_paths_lead_to_each_block_in_the_arguments(make):
    """Does every block's path lead to that very block in build_args's arguments,
    so that the worker's replacement at the path changes that block only?"""
    problem = make(TELLING)
    paths = gradcheck.block_paths(problem.build_args, problem.blocks)
    assert set(paths) == set(problem.blocks)
    args = problem.build_args(problem.blocks)
    for name, path in paths.items():
        target = args
        for key in path:
            target = target[key]
        assert target is problem.blocks[name], name
    assert len(set(paths.values())) == len(paths)
