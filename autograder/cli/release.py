"""`release [--check]`: regenerate everything built from reference/ (the
students' assignments/, the examples, the nbgrader notebook), or only say
what is out of date."""
import sys

from .errors import EXIT_GRADER_FAILED, EXIT_OK

HELP = "regenerate assignments/, the examples and the nbgrader notebook from reference/"


def add_arguments(parser):
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file is out of date")


def run(args):
    from .. import release
    from ..integrations import notebook
    shown = notebook.SOURCE_NOTEBOOK.relative_to(notebook.ROOT)
    if args.check:
        stale = release.check_in_sync() + ([] if notebook.in_sync() else [str(shown)])
        for path in stale:
            print(f"out of date: {path}")
        if stale:
            print("run `make release` to regenerate them", file=sys.stderr)
        return EXIT_GRADER_FAILED if stale else EXIT_OK
    status = release.main()
    print(f"{'wrote    ' if notebook.write_source_notebook() else 'unchanged'} {shown}")
    return status
