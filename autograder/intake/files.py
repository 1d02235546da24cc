"""Plain files in and out of intake, with limits: what is not a plain file or
is too large is refused, with one line for the report (SubmissionError)."""
import stat
from pathlib import PurePosixPath

MAX_FILE_BYTES = 2 << 20          # one source file


MAX_ZIP_ENTRIES = 2000


MAX_ZIP_TOTAL_BYTES = 64 << 20    # everything a zip inflates to


class SubmissionError(Exception):
    """The submission cannot be read at all; the message is one clear line."""


def check_regular(path, limit):
    """Refuse what is not a plain file (a fifo would block the read forever) or is too large."""
    try:
        info = path.stat()
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionError(f"{path}: not a regular file")
    if info.st_size > limit:
        raise SubmissionError(f"{path}: larger than {limit >> 20} MiB")


def read_limited(path):
    check_regular(path, MAX_FILE_BYTES)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    if len(data) > MAX_FILE_BYTES:  # it grew since the check
        raise SubmissionError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def write_files(files, dest):
    for name, data in files.items():
        target = dest / name
        target.write_bytes(data)
        target.chmod(0o644)
    return sorted(PurePosixPath(n).stem for n in files)
