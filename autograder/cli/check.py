"""`check [PATH]`: the rubric's public tests on a student's working copy, with
the grader's feedback; exit 0 when every public test passes, 1 otherwise."""
import sys
import tempfile
from pathlib import Path

from . import arguments
from .errors import EXIT_GRADER_FAILED, EXIT_OK, UsageError

HELP = "run the public tests on your work, quickly (for students)"


def add_arguments(parser):
    parser.add_argument("path", nargs="?", default=".", metavar="PATH",
                        help="your folder, notebook or zip (default: the current folder)")
    parser.add_argument("--out", metavar="DIR", help="also write the JSON report there")
    parser.add_argument("--sandbox", choices=arguments.TIERS,
                        help="force an isolation tier (default: the strongest that works)")


def run(args):
    from ..api import GraderFailed, GradingOptions, grade_one
    from ..intake import SubmissionError, name_of, prepare
    from ..report.json_report import write_report
    from ..report.text import report_text
    from ..sandbox.outside import probing

    if not Path(args.path).exists():
        raise UsageError(f"no such file or folder: {args.path}")
    out_dir = arguments.out_dir(args.out) if args.out else None
    rubric = arguments.rubric(None)
    try:
        tier = probing.probe(args.sandbox)
    except (RuntimeError, ValueError) as error:
        raise UsageError(str(error)) from None
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:  # unreadable: a usage error
        try:
            prepare(args.path, Path(scratch))
        except SubmissionError as error:
            raise UsageError(str(error)) from None
    try:
        report = grade_one(args.path, GradingOptions(rubric=rubric, tier=tier, public_only=True),
                           name=name_of(Path(args.path).resolve()))
    except GraderFailed as failure:
        print(f"autograder: error: {failure}", file=sys.stderr)
        return EXIT_GRADER_FAILED
    if out_dir:
        write_report(out_dir, report)
    print(report_text(report))
    passed = all(test.status == "passed" for test in report.tests)
    print("All public tests passed. The grader tests much more: other sizes, dtypes, gradients and rules."
          if passed else "Some public tests failed: see the messages above.")
    return EXIT_OK if passed else EXIT_GRADER_FAILED
