"""`gradescope build [--out ZIP]`: the autograder zip for Gradescope's
"Configure Autograder" page; `gradescope run [--root DIR]`: what the zip's
run_autograder does, once per submission (integrations/gradescope.py)."""
from .errors import EXIT_OK

HELP = "build the Gradescope autograder zip, or grade as its run_autograder does"


def add_arguments(parser):
    from ..paths import REPO_ROOT
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the Gradescope autograder zip")
    build.add_argument("--out", default=str(REPO_ROOT / "build" / "gradescope" / "autograder.zip"), metavar="ZIP")
    run_parser = actions.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    run_parser.add_argument("--root", default="/autograder", metavar="DIR")


def run(args):
    from ..integrations import gradescope
    if args.action == "build":
        path = gradescope.build(args.out)
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB): upload it on Gradescope's "
              f"Configure Autograder page")
        return EXIT_OK
    return gradescope.run(args.root)
