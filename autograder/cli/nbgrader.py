"""`nbgrader demo [PATH...]`: nbgrader end to end (generate_assignment,
autograde, generate_feedback, export) on submissions, with the exported
grades compared to our reports (integrations/nbgrader.py)."""
import sys

HELP = "run nbgrader end to end on submissions and compare the grades with our reports"


def add_arguments(parser):
    from ..paths import REPO_ROOT
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    demo = actions.add_parser("demo", help=HELP)
    demo.add_argument("paths", nargs="*", metavar="PATH", help="submissions (default: alice, bob, carol)")
    demo.add_argument("--work", default=str(REPO_ROOT / "build" / "nbgrader-demo"), metavar="DIR",
                      help="scratch folder, emptied first (default: build/nbgrader-demo)")
    demo.add_argument("--jobs", type=int, default=1, help="for the comparison's `autograder grade`")


def run(args):
    from ..integrations import nbgrader
    result = nbgrader.run_pipeline(args.paths or nbgrader.DEFAULT_STUDENTS, args.work, jobs=args.jobs)
    print("\nnbgrader export (grades.csv):\n" + result.grades_csv)
    print("Per part, nbgrader's gradebook and our JSON reports:\n" + nbgrader.comparison_table(result))
    print(f"\nfeedback: {result.course / 'feedback'}")
    for line in result.mismatches:
        print(f"MISMATCH {line}", file=sys.stderr)
    print("the gradebook matches our reports" if not result.mismatches else "the gradebook DIFFERS from our reports")
    return 1 if result.mismatches else 0
