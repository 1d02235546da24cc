"""The command line: `python -m autograder COMMAND ...` (also the installed `autograder`).

One module per command, each with `add_arguments(parser)` and `run(args)`
returning the exit status (the contract's): 0 when every submission was
graded, whatever the scores; 2 for a usage error (one line on stderr); 1
when the grader itself failed (or, for `grade --fail-under`, a submission
scored below it; for `check`, a public test failed).
"""
import argparse
import os
import sys

from . import bench, check, class_report, gpu_check, gradescope, grade, nbgrader, release, table
from .errors import EXIT_GRADER_FAILED, EXIT_OK, EXIT_USAGE, UsageError  # noqa: F401

COMMANDS = {"grade": grade, "check": check, "table": table, "class-report": class_report, "release": release,
            "bench": bench, "gpu-check": gpu_check, "gradescope": gradescope, "nbgrader": nbgrader}


class Parser(argparse.ArgumentParser):
    """Bad input is one line naming the command's --help, never argparse's own exit."""

    def error(self, message):
        command = self.prog.split()[1:]  # "autograder grade" -> ["grade"]; the top level has none
        raise UsageError(f"{message} (see `python -m {' '.join(['autograder', *command])} --help`)")


def build_parser():
    parser = Parser(prog="autograder", description="Grade Module 6 (RNN) submissions against the hidden reference.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, module in COMMANDS.items():
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("no command given; try `python -m autograder grade --help`")
        return COMMANDS[args.command].run(args)
    except UsageError as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130


def run():
    """The console script and `python -m autograder`: main(), then exit at once.

    By then the grader has written and closed all it writes; the
    interpreter's own teardown (about 0.2 s with pytest, hypothesis and
    NumPy loaded) would only delay the exit.
    """
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0)
