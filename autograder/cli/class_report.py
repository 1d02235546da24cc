"""`class-report DIR [--jobs N]`: the HTML pages of a reports folder: DIR/index.html
(the class overview) and DIR/<submission>.html beside each report (report/pages.py)."""
import sys

from . import arguments
from .errors import EXIT_OK, UsageError

HELP = "write the HTML pages of a reports folder: DIR/index.html (the class overview) and DIR/<submission>.html"


def add_arguments(parser):
    parser.add_argument("out", metavar="DIR", help="a folder of reports, as `grade --out DIR` writes it")
    parser.add_argument("--jobs", type=arguments.positive_int, metavar="N",
                        help="pages drawn in parallel (default: the number of cores)")


def run(args):
    write_pages(args.out, jobs=args.jobs)
    return EXIT_OK


def write_pages(folder, *, jobs=None):
    """Write the pages of `folder` and say so in one line; UsageError (one line) for what is not
    a reports folder, or one that cannot be written."""
    from ..report.pages import NotReports, write_class_report
    try:
        written, index = write_class_report(folder, jobs=jobs)
    except NotReports as error:
        raise UsageError(str(error)) from None
    except OSError as error:   # e.g. a folder one may read but not write
        raise UsageError(f"{folder}: cannot write the pages ({error.strerror or error})") from None
    print(f"autograder: wrote {index} and {len(written)} submission page(s)", file=sys.stderr)
