"""`grade PATH... --out DIR [--jobs N] [--gpu]`: grade submissions, write a
JSON report per submission (atomically, as each is graded), summary.json,
summary.csv, with --format junit, junit.xml and, with --html, the HTML pages
(as class-report writes them, once every submission is graded).
`--scheduler ADDRESS` grades on a Dask cluster instead (cluster/); `--resume`
keeps the complete reports an interrupted run wrote (report/resume.py)."""
import os
import sys

from . import arguments
from .errors import EXIT_GRADER_FAILED, EXIT_OK, UsageError

HELP = "grade submissions and write JSON reports"


def add_arguments(parser):
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a submission: folder, .ipynb or .zip")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the reports")
    parser.add_argument("--jobs", type=arguments.positive_int, default=os.cpu_count() or 1, metavar="N",
                        help="submissions graded in parallel (default: the number of cores)")
    parser.add_argument("--gpu", action="store_true", help="also run the CuPy GPU parity checks")
    parser.add_argument("--rubric", metavar="FILE", help="rubric file (default: the bundled rubric.toml)")
    parser.add_argument("--sandbox", choices=arguments.TIERS,
                        help="force an isolation tier (default: the strongest that works)")
    parser.add_argument("--fail-under", type=arguments.score_value, metavar="SCORE",
                        help="exit 1 when a submission scores below SCORE points (for CI)")
    parser.add_argument("--format", choices=("json", "junit"), default="json",
                        help="junit: also write DIR/junit.xml for CI test tabs (the JSON reports are always written)")
    parser.add_argument("--html", action="store_true",
                        help="also write the HTML pages after grading, as class-report does")
    parser.add_argument("--resume", action="store_true",
                        help="keep the complete reports already in DIR (of an interrupted run) and grade the rest")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask cluster: tcp://HOST:PORT of its scheduler, or local:N for a local "
                             "cluster of N workers (needs the cluster extra; see docs/cluster.md)")


def run(args):
    from ..api import GradingOptions, grade_many
    from ..intake import name_of
    from ..report.json_report import write_atomic, write_summaries
    from ..sandbox.outside.tiers import TIER_DESCRIPTIONS

    out_dir = arguments.out_dir(args.out)
    arguments.submission_paths(args.paths)
    rubric = arguments.rubric(args.rubric)
    cluster = cluster_client(args.scheduler) if args.scheduler else None
    kept = resumed(out_dir, args.paths) if args.resume else {}
    paths = [path for path in args.paths if name_of(path) not in kept]
    if cluster:
        outcomes = grade_on_cluster(cluster, args, paths, rubric, out_dir)
    elif paths:
        tier = arguments.tier_while_loading(args.sandbox)
        print(f"autograder: sandbox: {tier} ({TIER_DESCRIPTIONS[tier]})", file=sys.stderr)
        arguments.warn_if_exposed(tier)
        gpu = gpu_device() if args.gpu else False
        progress = Progress(len(paths))
        outcomes = grade_many(paths, GradingOptions(rubric=rubric, tier=tier, jobs=args.jobs, gpu=gpu),
                              out_dir=out_dir, on_graded=progress.update)
        progress.close()
    else:
        outcomes = []
    # In the order of the command line: those kept by --resume, and those graded now.
    written = {**kept, **{o.name: o.report for o in outcomes if o.report is not None}}
    reports = [written[name] for name in map(name_of, args.paths) if name in written]
    write_summaries(out_dir, reports)
    failures = [o.failure for o in outcomes if o.failure]
    failures += [f"{r.submission}: {r.grader_errors} test(s) hit a grader error" for r in reports if r.grader_errors]
    for failure in failures:
        print(f"autograder: error: {failure}", file=sys.stderr)
    if args.format == "junit":
        from ..report.junit import junit_xml
        write_atomic(out_dir / "junit.xml", junit_xml(reports))
    pages_failed = args.html and not html_pages(out_dir, args.jobs)
    below = [r for r in reports if args.fail_under is not None and r.score < args.fail_under]
    for r in below:
        print(f"autograder: {r.submission} scored {r.score:g}, under --fail-under {args.fail_under:g}",
              file=sys.stderr)
    return EXIT_GRADER_FAILED if failures or below or pages_failed else EXIT_OK


def html_pages(out_dir, jobs):
    """--html: the pages of the reports just written; False, having said why in one line, if they could not be."""
    from .class_report import write_pages
    try:
        write_pages(out_dir, jobs=jobs)
    except UsageError as error:
        print(f"autograder: error: {error}", file=sys.stderr)
        return False
    return True


def resumed(out_dir, paths):
    """--resume: the complete reports already in out_dir, announced in one line."""
    from ..report.resume import written_reports
    kept = written_reports(out_dir, paths)
    print(f"autograder: --resume: {len(kept)} of {len(paths)} submissions already graded in {out_dir}, "
          f"grading the other {len(paths) - len(kept)}", file=sys.stderr)
    return kept


def cluster_client(scheduler):
    """cluster/client.py, once --scheduler is known to be usable here (else one line, exit 2)."""
    from ..cluster import client
    try:
        client.check_scheduler(scheduler)
    except client.SchedulerError as error:
        raise UsageError(str(error)) from None
    return client


def grade_on_cluster(cluster, args, paths, rubric, out_dir):
    """--scheduler: the Outcomes of grading `paths` on a Dask cluster (cluster/client.py)."""
    from ..api import GradingOptions
    if not paths:
        return []
    progress = Progress(len(paths))
    try:
        return cluster.grade_on_cluster(paths, scheduler=args.scheduler, out_dir=out_dir, on_graded=progress.update,
                                        options=GradingOptions(rubric=rubric, tier=args.sandbox, gpu=args.gpu))
    except cluster.SchedulerError as error:
        raise UsageError(str(error)) from None
    finally:
        progress.close()


def gpu_device():
    """The device of --gpu, announced in one line; Unavailable skips the GPU tests."""
    from ..sandbox.outside import devices
    device = devices.select()
    if isinstance(device, devices.Unavailable):
        print(f"autograder: --gpu: {device.reason}; GPU tests skipped", file=sys.stderr)
    else:
        print(f"autograder: --gpu: {device.description}", file=sys.stderr)
    return device


class Progress:
    """A progress bar on a terminal, one plain line per submission otherwise."""

    def __init__(self, total):
        self.bar = None
        if sys.stderr.isatty() and total > 1:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="submission", file=sys.stderr)

    def update(self, outcome, seconds):
        if outcome.report is not None:
            line = f"{outcome.name}: {outcome.report.score:g} / {outcome.report.max_score:g} ({seconds:.1f} s)"
            if outcome.report.error:  # unreadable: say why on the same line
                line += " - " + " ".join(str(outcome.report.error).split())
        else:
            line = f"{outcome.name}: grader failure"
        if self.bar:
            self.bar.set_postfix_str(line)
            self.bar.update()
        else:
            print(f"graded {line}", file=sys.stderr, flush=True)

    def close(self):
        if self.bar:
            self.bar.close()
