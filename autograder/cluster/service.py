"""A grading service: on a Dask worker, a process of its own that has pytest
collect the hidden suite once and then grades, one at a time, the
submissions the worker's tasks send it, each in a forked grader exactly as a
local batch does (session/batch.py's grade_batch), learning the examples to
replay as it goes. So a cluster pays pytest's start, the collection and
hypothesis's warm-up once per service, not once per submission; and a
grader that dies takes down only itself, never the service or the Dask worker.

    python -m autograder.cluster.service FD    # FD: its end of a socket pair (plugin.py starts it)

Over the socket pair (channel.py) the worker first sends the configuration
(pickled: the rubric, the forced tier or None, gpu, public_only, and the
client's grader fingerprint, fingerprint.py); the service answers
{"ready": true, "tier", "pid"} once the suite is collected, or {"error":
one line} (a grader that is not the client's among the reasons). Then each request {"name", "label": the client's path} with a packed submission
(packing.py) gets {"report": the report's JSON object, "seconds"} or
{"failure": one line}. The service ends when the worker closes its end (or
dies), or after IDLE_EXIT_S without a request (the worker starts another
when it needs one).
"""
import os
import pickle
import select
import shutil
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

from . import channel, packing

IDLE_EXIT_S = 600   # a service that a client left registered does not stay forever


def main(fd):
    # A Ctrl-C meant for the command (local:N's services share its terminal) or
    # for a `dask worker` is not the service's to act on: it ends when its
    # worker closes the link, once the submission it grades is done.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    link = socket.socket(fileno=fd)
    # The graders it forks must not hold the worker's link open: if the
    # service dies, the worker is to see its end of file at once.
    os.register_at_fork(after_in_child=link.close)
    message = channel.receive(link)
    if message is None:
        return 0
    config = pickle.loads(message[1])
    from .fingerprint import of_grader
    if config["grader"] != of_grader():
        channel.send(link, {"error": f"this worker's grader ({of_grader()[:12]}) is not the client's "
                                     f"({config['grader'][:12]}): install the client's checkout on every worker"})
        return 1
    from ..api import GradingOptions, open_session
    from ..cli.errors import UsageError
    from ..sandbox.outside import zygote_client
    try:
        from ..cli.arguments import tier_while_loading
        tier = tier_while_loading(config["tier"])   # also starts the worker zygote
        options = GradingOptions(rubric=config["rubric"], tier=tier, jobs=1, gpu=config["gpu"],
                                 public_only=config["public_only"])
        open_session(options).run(lambda session: serve(session, link, tier))
    except (UsageError, RuntimeError, ValueError) as error:
        channel.send(link, {"error": " ".join(str(error).split()) or type(error).__name__})
        return 1
    finally:
        zygote_client.stop_zygote()
    return 0


def serve(session, link, tier):
    """The plan run in place of pytest's test loop: grade what arrives until the link closes."""
    from ..session.batch import Outcome, grade_batch
    inbox = Path(tempfile.mkdtemp(prefix="autograder-inbox-"))  # mode 0700: only this user reads it
    packed = inbox / "submission.zip"
    try:
        channel.send(link, {"ready": True, "tier": tier, "pid": os.getpid()})
        while select.select([link], [], [], IDLE_EXIT_S)[0]:
            message = channel.receive(link)
            if message is None:
                return
            header, payload = message
            packed.write_bytes(payload)
            outcome = Outcome(str(packed), header["name"])
            start = time.monotonic()
            grade_batch(session, [outcome], tier=tier, jobs=1, intake=packing.unpack)
            seconds = time.monotonic() - start
            if outcome.report is not None:
                channel.send(link, {"report": outcome.report.to_dict(), "seconds": seconds})
            else:
                # Said of the client's path; the grader's traceback is in this worker's log.
                failure = outcome.failure.replace(str(packed), header["label"])
                channel.send(link, {"failure": failure.replace("see the error above", "see the Dask worker's log"),
                                    "seconds": seconds})
    except (BrokenPipeError, ConnectionError):
        return  # the worker is gone
    finally:
        shutil.rmtree(inbox, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
