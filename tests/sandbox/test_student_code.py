"""The grader's call client (sandbox/outside/student_code.py): what it makes of
whatever a student's function returned, described by the worker."""
import json
import warnings

import numpy as np
import pytest

from autograder.sandbox.inside import protocol
from autograder.sandbox.outside.student_code import Foreign, decode_result


# ---------------------------------------------------------------- proxy.decode_result

class Sub(np.ndarray):
    pass


def matrix():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix([[1.0, 2.0]])


def returned(value):
    """What the grader makes of `value` returned by a student's function."""
    blobs = []
    spec = json.loads(json.dumps(protocol.describe(value, blobs)))
    return decode_result(spec, blobs)


@pytest.mark.parametrize("value, words", [
    (np.arange(3.0).view(Sub), "Sub"),
    (np.ma.masked_array([1.0, 2.0]), "MaskedArray"),
    (matrix(), "matrix"),
    (np.array([1, None], dtype=object), "object"),
    (2.5, "float"),
    (3, "int"),
    (True, "bool"),
    (float("nan"), "nan"),
    (np.int64(3), "int64"),
    ("text", "str"),
    ({1, 2}, "set"),
    (lambda: 0, "function"),
])
def test_decode_result_describes_what_is_not_a_plain_array(value, words):
    """Does anything but a plain ndarray come back as a Foreign description the student can read?"""
    got = returned(value)
    assert isinstance(got, Foreign), got
    assert words in got.description


def test_decode_result_keeps_plain_data():
    """Do plain arrays, containers and None come back as such (a list stays a list, never an array)?"""
    a = np.arange(6.0).reshape(2, 3)
    got = returned((a, None, [a, 1.5], {"W": a.astype(np.float32)}))
    assert isinstance(got, tuple) and len(got) == 4
    np.testing.assert_array_equal(got[0], a)
    assert got[1] is None
    assert isinstance(got[2], list) and isinstance(got[2][1], Foreign)
    assert got[3]["W"].dtype == np.float32
    assert isinstance(returned(np.float64(2.0)), np.ndarray)  # what a ufunc returns for 0-d input


def test_decode_result_survives_malformed_specs():
    assert isinstance(decode_result("junk", []), Foreign)
    assert isinstance(decode_result({"kind": "array", "type": "numpy.ndarray", "array": 5}, []), Foreign)
    assert isinstance(decode_result({"kind": "array", "type": "numpy.ndarray", "array": 0}, [b"not npy"]),
                      Foreign)
