"""Does a submission reach a cluster's worker as intake would have prepared it?

The client takes a submission in (intake's limits and one-line errors) and
sends the prepared folder as the bytes of a zip (autograder/cluster/packing.py);
the worker's grader unpacks them. For a folder, a notebook and a zip, what is
unpacked is exactly what intake.prepare writes; a submission intake refuses
is refused by `pack` with intake's own words; and `unpack` writes nothing it
is not sure `pack` made. No dask needed.
"""
import io
import zipfile
from pathlib import Path

import pytest

from autograder.cluster.packing import pack, unpack
from autograder.intake import MANIFEST, SubmissionError, prepare

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "submissions"


def files_of(folder):
    return {p.name: (p.read_bytes(), p.stat().st_mode & 0o777) for p in sorted(Path(folder).iterdir())}


@pytest.mark.parametrize("name", ["carol", "bob.ipynb", "alice.zip"])
def test_unpacked_is_what_intake_prepares(tmp_path, name):
    (tmp_path / "prepared").mkdir()
    prepare(EXAMPLES / name, tmp_path / "prepared")
    (tmp_path / "packed.zip").write_bytes(pack(EXAMPLES / name))
    (tmp_path / "unpacked").mkdir()
    unpack(tmp_path / "packed.zip", tmp_path / "unpacked")
    assert files_of(tmp_path / "unpacked") == files_of(tmp_path / "prepared")
    assert MANIFEST in files_of(tmp_path / "unpacked")


def test_pack_refuses_as_intake_does(tmp_path):
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04 not a zip")
    (tmp_path / "prepared").mkdir()
    with pytest.raises(SubmissionError) as by_intake:
        prepare(corrupt, tmp_path / "prepared")
    with pytest.raises(SubmissionError) as by_pack:
        pack(corrupt)
    assert str(by_pack.value) == str(by_intake.value)


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, says", [
    ({MANIFEST: b"{}", "../escape.py": b""}, "which intake never writes"),
    ({MANIFEST: b"{}", "sub/rnn.py": b""}, "which intake never writes"),
    ({MANIFEST: b"{}", "run.sh": b""}, "which intake never writes"),
    ({"rnn.py": b"x = 1\n"}, "no manifest"),
    ({MANIFEST: b"{}", **{f"m{i}.py": b"" for i in range(40)}}, "holds more than"),
], ids=["escaping", "subfolder", "not-a-module", "no-manifest", "too-many"])
def test_unpack_writes_only_what_pack_makes(tmp_path, entries, says):
    (tmp_path / "packed.zip").write_bytes(zip_bytes(entries))
    (tmp_path / "unpacked").mkdir()
    with pytest.raises(SubmissionError, match=says):
        unpack(tmp_path / "packed.zip", tmp_path / "unpacked")
    assert not list((tmp_path / "unpacked").iterdir())


def test_unpack_refuses_what_is_not_a_zip(tmp_path):
    (tmp_path / "packed.zip").write_bytes(b"garbage")
    (tmp_path / "unpacked").mkdir()
    with pytest.raises(SubmissionError, match="cannot be read"):
        unpack(tmp_path / "packed.zip", tmp_path / "unpacked")
