"""The wire protocol (sandbox/inside/protocol.py): frames, the array codec that
never unpickles, and what the worker makes of a call_many's replacements."""
import io
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox.inside import protocol, worker


# ---------------------------------------------------------------- framing

def reader(data):
    """A read_exactly over `data` that records what it was asked for."""
    stream = io.BytesIO(data)
    asked = []

    def read_exactly(n):
        asked.append(n)
        chunk = stream.read(n)
        if len(chunk) != n:
            raise EOFError(f"asked for {n} bytes, {len(chunk)} left")
        return chunk
    read_exactly.asked = asked
    return read_exactly


def test_frame_round_trip():
    """Does a frame come back as the same header and blobs?"""
    header = {"op": "call", "args": [{"array": 0}, {"value": None}], "name": "σ ünicode"}
    blobs = [b"", b"\x00\x01binary\xff" * 100, protocol.encode_array(np.arange(6.0).reshape(2, 3))]
    stream = io.BytesIO()
    protocol.send_frame(stream, header, blobs)
    stream.write(b"trailing frame")
    got_header, got_blobs = protocol.recv_frame(reader(stream.getvalue()))
    assert got_header == header and got_blobs == blobs
    np.testing.assert_array_equal(protocol.decode_array(got_blobs[2]), np.arange(6.0).reshape(2, 3))


def test_send_frame_refuses_nan_in_header():
    """Is a header with nan refused (JSON has no nan)?"""
    with pytest.raises(ValueError):
        protocol.send_frame(io.BytesIO(), {"value": float("nan")})


@pytest.mark.parametrize("prefix, what", [
    (struct.pack(">II", protocol.MAX_HEADER_BYTES + 1, 0), "header"),
    (struct.pack(">II", 2, protocol.MAX_BLOBS + 1) + b"{}", "blob count"),
    (struct.pack(">II", 2, 1) + b"{}" + struct.pack(">Q", protocol.MAX_FRAME_BYTES), "blob size"),
    (struct.pack(">II", 2, 2) + b"{}" + struct.pack(">Q", 10) + b"0123456789"
     + struct.pack(">Q", protocol.MAX_FRAME_BYTES - 5), "total size"),
])
def test_oversize_frames_are_refused_before_reading_them(prefix, what):
    """Is a frame over the caps refused from its length fields, without reading (or allocating) the rest?"""
    read_exactly = reader(prefix)
    with pytest.raises(protocol.ProtocolError):
        protocol.recv_frame(read_exactly)
    assert max(read_exactly.asked) <= 10, f"read {read_exactly.asked} bytes of a frame with a bad {what}"


def test_frame_header_must_be_an_object():
    stream = io.BytesIO()
    payload = b"[1, 2]"
    stream.write(struct.pack(">II", len(payload), 0) + payload)
    with pytest.raises(protocol.ProtocolError):
        protocol.recv_frame(reader(stream.getvalue()))


# ---------------------------------------------------------------- array codec

class Bomb:
    """Unpickling this writes a marker file: proof that a pickle ran."""
    marker = None

    def __reduce__(self):
        return (Path.write_text, (Path(Bomb.marker), "unpickled"))


def npy_bytes(array, **kwargs):
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def test_decode_array_refuses_object_arrays(tmp_path):
    """Is an object array (a pickle inside .npy) refused without being unpickled?"""
    Bomb.marker = str(tmp_path / "ran")
    blob = npy_bytes(np.array([Bomb(), 1], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        protocol.decode_array(blob)
    assert not (tmp_path / "ran").exists()


def test_decode_array_refuses_plain_pickles(tmp_path):
    """Is a bare pickle refused without being unpickled?"""
    Bomb.marker = str(tmp_path / "ran")
    with pytest.raises(ValueError):
        protocol.decode_array(pickle.dumps(Bomb()))
    with pytest.raises(ValueError):
        protocol.decode_array(pickle.dumps(np.arange(3.0)))
    assert not (tmp_path / "ran").exists()


def test_encode_array_refuses_object_arrays():
    with pytest.raises(ValueError):
        protocol.encode_array(np.array([None, 1], dtype=object))


ARRAYS = {
    "float64": np.random.default_rng(0).standard_normal((3, 4)),
    "float32": np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32),
    "float16": np.linspace(-2, 2, 5).astype(np.float16),
    "int64": np.arange(-5, 7, dtype=np.int64).reshape(3, 4),
    "int32": np.arange(6, dtype=np.int32),
    "uint8": np.arange(250, 256, dtype=np.uint8),
    "bool": np.array([[True, False], [False, True]]),
    "0-d float64": np.array(3.25),
    "0-d float32": np.array(-1.5, dtype=np.float32),
    "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "non-contiguous": np.arange(24.0).reshape(4, 6)[::2, 1::2],
    "big-endian": np.arange(4.0).astype(">f8"),
    "extremes": np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-310]),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_decode_array_matches_np_load(name):
    """Does decode_array (fast path or not) give exactly what np.load gives for np.save's bytes?"""
    array = ARRAYS[name]
    blob = npy_bytes(array)
    expected = np.load(io.BytesIO(blob), allow_pickle=False)
    got = protocol.decode_array(blob)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert got.flags.writeable


@pytest.mark.parametrize("name", ARRAYS)
def test_encode_array_writes_valid_npy(name):
    """Are the hand-written .npy headers valid for NumPy's own reader, and do values survive the round trip?"""
    array = ARRAYS[name]
    blob = protocol.encode_array(array)
    assert len(blob) - array.nbytes in (64, 128)  # preamble padded to a multiple of 64 bytes
    for decoded in (np.load(io.BytesIO(blob), allow_pickle=False), protocol.decode_array(blob)):
        assert decoded.dtype == array.dtype and decoded.shape == array.shape
        np.testing.assert_array_equal(decoded, array)


def test_decode_array_refuses_a_header_that_lies_about_the_size():
    """Is an array whose data is shorter than its header says refused, not returned as garbage?"""
    blob = protocol.encode_array(np.arange(10.0))
    with pytest.raises(ValueError):
        protocol.decode_array(blob[:-8])


def test_replace_at_changes_only_the_argument_at_the_path():
    """Does the worker's replace_at put the value at the path and nowhere else?"""
    args = [np.zeros(2), np.ones(2), {"W_xf": np.zeros((2, 2)), "b_f": np.zeros(2)}]
    worker.replace_at(args, [2, "W_xf"], "new")
    worker.replace_at(args, [0], "first")
    assert args[0] == "first" and args[2]["W_xf"] == "new"
    np.testing.assert_array_equal(args[1], np.ones(2))
    np.testing.assert_array_equal(args[2]["b_f"], np.zeros(2))
