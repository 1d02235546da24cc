"""A submission on its way to a cluster's worker, as bytes.

The client takes the submission in (intake.prepare: intake's limits, its
one-line errors) and sends the prepared folder as the bytes of a zip; on the
worker, the grading service's forked grader unpacks them into a folder of its
own (`unpack`, the intake it hands session/batch.py), which then holds what
prepare would have written there.
"""
import io
import re
import tempfile
import zipfile
from pathlib import Path

from ..contract import MODULES
from ..intake import MANIFEST, SubmissionError, prepare
from ..intake.files import MAX_FILE_BYTES, write_files
from ..intake.helpers import MAX_HELPERS

# What a prepared folder holds: the contract modules, a notebook's module,
# the helpers and the manifest, each a plain file name.
MAX_ENTRIES = len(MODULES) + MAX_HELPERS + 2
FILE_NAME = re.compile(r"\.?[A-Za-z_][A-Za-z0-9_]*\.(py|json)")


def pack(path):
    """The submission at `path`, taken in, as the bytes of a zip of its prepared
    folder. Raises SubmissionError as intake does (the same one-line reasons)."""
    with tempfile.TemporaryDirectory(prefix="autograder-pack-") as scratch:
        folder = Path(scratch) / "submission"
        folder.mkdir()
        prepare(path, folder)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.writestr(file.name, file.read_bytes())
        return buffer.getvalue()


def unpack(path, folder):
    """Write the prepared folder packed in the zip at `path` into the empty
    folder `folder` (the grading service's intake). Raises SubmissionError
    for anything `pack` would not have written."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ENTRIES:
                raise SubmissionError(f"the packed submission holds more than {MAX_ENTRIES} files")
            files = {}
            for entry in entries:
                if not FILE_NAME.fullmatch(entry.filename) or entry.file_size > MAX_FILE_BYTES:
                    raise SubmissionError(f"the packed submission holds {entry.filename[:100]!r}, "
                                          f"which intake never writes")
                files[entry.filename] = archive.read(entry)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise SubmissionError(f"the packed submission cannot be read ({error})") from None
    if MANIFEST not in files:
        raise SubmissionError("the packed submission has no manifest")
    folder = Path(folder)
    write_files(files, folder)
    folder.chmod(0o755)
