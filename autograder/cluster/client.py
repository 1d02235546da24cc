"""The client's side of `grade PATH... --scheduler ADDRESS`: each submission
is taken in here (intake's limits and errors), sent as bytes to the Dask
cluster as a task, graded there by a worker's grading service, and comes back
as a report's JSON object, written here atomically as it arrives.

    outcomes = grade_on_cluster(paths, scheduler="tcp://head:8786", options=GradingOptions(),
                                out_dir=Path("reports"), on_graded=progress.update)

`local:N` starts a LocalCluster of N worker processes (one thread each) on
this machine instead, for a try. A worker killed mid-task costs nothing but
time: Dask runs its task again on another worker, and each submission's
report is written once, here, when its task's result arrives.
"""
import contextlib
import importlib
import logging
import os
import re
import socket
import sys
import time
import uuid
from urllib.parse import urlsplit

from .. import rubric as rubric_module, scoring
from ..intake import SubmissionError, name_of
from ..report.json_report import write_report
from ..report.model import Report
from ..sandbox.outside.tiers import TIER_DESCRIPTIONS
from ..session.batch import Outcome
from . import fingerprint, packing

LOCAL = re.compile(r"local:(\d+)")
SCHEMES = ("tcp", "tls", "ws", "wss")
DEFAULT_PORT = 8786          # `dask scheduler`'s
# How long to wait for a scheduler that does not answer at all (a host that
# drops packets); one that refuses, or a name that does not resolve, is said at once.
CONNECT_TIMEOUT_S = 10
# A task whose grading service died (not the submission's grader: that is
# graded as a grader failure) runs again, on this worker's new service or another
# worker; a task whose worker died Dask runs again by itself (its allowed-failures).
RETRIES = 2
# Tasks in flight per worker thread: enough to keep every thread busy while
# results come back, few enough that the packed submissions waiting are not
# all held in memory at once.
IN_FLIGHT_PER_THREAD = 4
MIN_IN_FLIGHT = 16
# A local cluster's settings (local:N here; the tests' LocalCluster of worker processes too).
LOCAL_CLUSTER_CONFIG = {
    # Worker processes (the tests') are forked from a process that imported
    # distributed once, instead of each importing it again (spawn).
    "distributed.worker.multiprocessing-method": "forkserver",
    # A task only waits for its grading service: nothing to profile, and the
    # profiler's sampling (every 10 ms) and the monitors' ticks would cost the
    # graders about 0.1 of a core.
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "5s",
    # One task per worker thread; the rest wait at the scheduler for the
    # first free thread, so there is nothing to steal.
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
}
INSTALL_HINT = "pip install 'rnn-autograder[cluster]' (or: pip install -e '.[cluster]')"


class SchedulerError(Exception):
    """--scheduler cannot be used: dask missing, an address of no known form, or no scheduler answers. One line."""


def check_scheduler(text):
    """("local", N) or ("address", (URL, host, port)) for a --scheduler value;
    raises SchedulerError, also when dask.distributed is not installed."""
    try:
        importlib.import_module("distributed")
    except ImportError:
        raise SchedulerError(f"--scheduler needs dask.distributed, which is not installed: {INSTALL_HINT}") from None
    local = LOCAL.fullmatch(text)
    if local:
        cores = os.cpu_count() or 1
        if not 1 <= int(local.group(1)) <= cores:
            raise SchedulerError(f"--scheduler {text}: a local cluster here has 1 to {cores} workers (one per core)")
        return "local", int(local.group(1))
    expected = (f"expected tcp://HOST:PORT (or {', '.join(s + '://' for s in SCHEMES[1:])}) "
                f"for a running Dask scheduler, or local:N for N local workers")
    scheme, _, rest = text.partition("://")
    if scheme not in SCHEMES or not rest or "/" in rest:
        raise SchedulerError(f"--scheduler {text}: {expected}")
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port or DEFAULT_PORT
    except ValueError:  # a port that is not a number, or out of range
        host = None
    if not host:
        raise SchedulerError(f"--scheduler {text}: {expected}")
    return "address", (f"{scheme}://{parts.netloc}" if parts.port else f"{text}:{DEFAULT_PORT}", host, port)


def reach(host, port, text):
    """Raise SchedulerError at once if nothing listens at host:port (Dask would retry for its whole timeout)."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except socket.gaierror as error:
        raise SchedulerError(f"--scheduler {text}: no such host {host!r} ({one_line(error.strerror or error)})") from None
    except OSError as error:
        why = "timed out" if isinstance(error, TimeoutError) else one_line(error.strerror or error)
        raise SchedulerError(f"--scheduler {text}: no Dask scheduler answers at {host}:{port} ({why})") from None


def grade_on_cluster(paths, *, scheduler, options, out_dir, on_graded=None, say=None):
    """Grade `paths` on the cluster of `scheduler` (see check_scheduler) with
    `options` (GradingOptions: its rubric, tier, gpu and public_only); returns
    their Outcomes in order, each report written to `out_dir` as it arrives;
    on_graded(outcome, seconds) as for api.grade_many. say(line): notices
    (the workers' sandbox tiers). Raises SchedulerError."""
    kind, where = check_scheduler(scheduler)
    say = say or (lambda line: print(f"autograder: {line}", file=sys.stderr, flush=True))
    outcomes = [Outcome(str(path), name_of(path)) for path in paths]
    config = {"rubric": options.rubric, "tier": options.tier, "gpu": bool(options.gpu),
              "public_only": options.public_only, "grader": fingerprint.of_grader()}
    with connected(kind, where, scheduler) as client:
        from .plugin import GradingServices
        plugin = GradingServices(config, name=f"autograder-grading-{uuid.uuid4().hex[:12]}")
        client.register_plugin(plugin)
        try:
            Batch(client, plugin.name, options.rubric or rubric_module.load(), out_dir, on_graded, say).run(outcomes)
        finally:
            with contextlib.suppress(Exception):  # the scheduler may be gone
                client.unregister_worker_plugin(plugin.name)
    return outcomes


def handshake(url, text):
    """Raise SchedulerError unless what listens at `url` speaks Dask's protocol.

    Done apart from the Client: a Client whose start fails (a web server on
    that port) spends another 20 s closing itself when it is collected."""
    import asyncio
    from distributed.comm import connect

    async def attempt():
        comm = await connect(url, timeout=CONNECT_TIMEOUT_S)
        await comm.close()

    async def bounded():  # connect's own timeout does not bound a peer that never answers the handshake
        await asyncio.wait_for(attempt(), CONNECT_TIMEOUT_S)

    try:
        with quiet_logs():
            asyncio.run(bounded())
    except Exception as error:  # noqa: BLE001 - a garbled answer raises anything (MemoryError included)
        why = (f"no answer to Dask's handshake within {CONNECT_TIMEOUT_S} s" if isinstance(error, TimeoutError)
               else one_line(error))
        raise SchedulerError(f"--scheduler {text}: what answers at {url} is not a Dask scheduler ({why})") from None


@contextlib.contextmanager
def connected(kind, where, text):
    """A dask.distributed Client of the scheduler at `where` ((URL, host, port)),
    or of a new LocalCluster of `where` workers. text: --scheduler, for errors."""
    import distributed
    cluster = None
    if kind == "local":
        # Its workers are threads of this process: each only waits for its
        # grading service, a process of its own that does the grading (and
        # forks a grader per submission), so that worker processes would add
        # their start (about 1.5 s of CPU for two) and nothing else.
        import dask
        with dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = distributed.LocalCluster(n_workers=where, threads_per_worker=1, processes=False,
                                               dashboard_address=None, silence_logs=logging.ERROR)
        client = distributed.Client(cluster, set_as_default=False)
    else:
        url, host, port = where
        reach(host, port, text)
        handshake(url, text)
        try:
            with quiet_logs():
                client = distributed.Client(url, set_as_default=False, timeout=CONNECT_TIMEOUT_S)
        except Exception as error:  # noqa: BLE001 - whatever it is, one line
            raise SchedulerError(f"--scheduler {text}: no Dask scheduler answers there "
                                 f"({one_line(error)})") from None
    try:
        yield client
    finally:
        with quiet_logs(), contextlib.suppress(Exception):
            client.close()
            if cluster is not None:
                cluster.close()


@contextlib.contextmanager
def quiet_logs():
    """No warnings from distributed's loggers meanwhile (a failed connection is said in one line)."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def one_line(error):
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


class Batch:
    """The submissions of one run on its way through the cluster: a few tasks
    in flight per worker thread, each report written as its result arrives."""

    def __init__(self, client, plugin_name, rubric, out_dir, on_graded, say):
        self.client, self.plugin_name, self.rubric = client, plugin_name, rubric
        self.out_dir, self.on_graded, self.say = out_dir, on_graded, say
        self.run_id = uuid.uuid4().hex[:8]
        self.in_flight = {}     # task key -> (Outcome, when it was sent)
        self.tiers_seen = set()

    def run(self, outcomes):
        from distributed import as_completed
        from .plugin import grade_task
        self.todo, self.done = iter(outcomes), as_completed(loop=self.client.loop)
        self.feed(grade_task)
        for future in self.done:
            outcome, sent = self.in_flight.pop(future.key)
            try:
                answer = future.result()
            except Exception as error:  # the task failed after its retries: a grader failure
                outcome.failure = f"the grader failed on {outcome.path} on the cluster ({one_line(error)})"
                seconds = time.monotonic() - sent
            else:
                seconds = answer.get("seconds", time.monotonic() - sent)
                if "report" in answer:
                    outcome.report = Report.from_dict(answer["report"])
                    self.notice_tier(outcome.report, answer["worker"])
                else:
                    outcome.failure = f"{answer['failure']} (worker {answer['worker']})"
            future.release()
            self.finish(outcome, seconds)
            self.feed(grade_task)

    def feed(self, grade_task):
        """Send submissions until enough are in flight (or none are left)."""
        wanted = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_THREAD * sum(self.client.nthreads().values()))
        while len(self.in_flight) < wanted:
            outcome = next(self.todo, None)
            if outcome is None:
                return
            start = time.monotonic()
            try:
                packed = packing.pack(outcome.path)
            except SubmissionError as error:  # graded here, as a local batch's child would
                outcome.report = scoring.error_report(outcome.name, str(error), self.rubric,
                                                      seconds=time.monotonic() - start)
                self.finish(outcome, time.monotonic() - start)
                continue
            future = self.client.submit(grade_task, self.plugin_name, outcome.name, outcome.path, packed,
                                        key=f"grade-{outcome.name}-{self.run_id}", retries=RETRIES)
            self.in_flight[future.key] = (outcome, start)
            self.done.add(future)

    def finish(self, outcome, seconds):
        """Write its report (atomically, validated) and say it is done."""
        if outcome.report is not None:
            try:
                write_report(self.out_dir, outcome.report)
            except (OSError, ValueError) as error:  # ValueError: a report that breaks its schema
                outcome.failure, outcome.report = f"the report of {outcome.path} could not be written ({error})", None
        if self.on_graded:
            self.on_graded(outcome, seconds)

    def notice_tier(self, report, worker):
        tier = report.sandbox.get("tier")
        if tier and tier not in self.tiers_seen:
            self.tiers_seen.add(tier)
            self.say(f"sandbox on the cluster's workers: {tier} ({TIER_DESCRIPTIONS.get(tier, '?')}), "
                     f"first seen on {worker}")
            if report.sandbox.get("degraded"):
                self.say(f"warning: worker {worker} grades at the {tier} tier (degraded isolation): it runs "
                         f"neither as root nor with bubblewrap; see docs/cluster.md")
