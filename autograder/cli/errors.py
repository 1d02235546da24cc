"""Exit statuses and the one error every command may raise for bad input."""

EXIT_OK, EXIT_GRADER_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input on the command line: one clear line, exit status 2."""
