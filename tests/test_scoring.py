"""Scoring (scoring.py): test records and the rubric -> a Report."""
from autograder.scoring import skip_reason


def test_skip_reason_keeps_the_reasons_own_parentheses():
    """Does a skipped test's reason come back whole from pytest's longrepr tuple, its own ')' included?"""
    record = {"setup": {"longrepr": "('suite/test_gpu.py', 74, 'Skipped: not requested (grade with --gpu)')"}}
    assert skip_reason(record) == "not requested (grade with --gpu)"
    assert skip_reason({"call": {"longrepr": "('x.py', 1, \"Skipped: it's off\")"}}) == "it's off"
    assert skip_reason({"setup": {"longrepr": None}}) == ""
