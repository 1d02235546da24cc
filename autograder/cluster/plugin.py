"""The worker's side: a Dask WorkerPlugin that keeps one grading service
(service.py) per worker thread, and the task that grades one submission
through a free one.

A client registers a GradingServices under a name of its own; every worker,
including one that joins later or is restarted, then starts its services,
which collect the suite while the first tasks are on their way. A task takes
a free service, hands it the packed submission and waits for the report.
"""
import pickle
import queue
import socket
import subprocess
import sys
import threading

from . import channel

try:
    from distributed import WorkerPlugin, get_worker
except ModuleNotFoundError:  # only the client says that dask is missing (client.py)
    WorkerPlugin, get_worker = object, None


class ServiceLost(RuntimeError):
    """The grading service exited (killed, out of memory): Dask runs the task again, and a new service takes over."""


class ServiceFailed(RuntimeError):
    """The grading service could not start on this worker (e.g. a forced sandbox tier that does not work here)."""


def grade_task(plugin_name, name, label, packed):
    """A Dask task: the grading of one packed submission (packing.py) by this
    worker's services; {"report": JSON object, "seconds", "worker"} or
    {"failure": one line, "seconds", "worker"}. Raises ServiceLost (Dask retries it)."""
    worker = get_worker()
    answer = worker.plugins[plugin_name].grade(name, label, packed)
    return {**answer, "worker": worker.address}


class GradingServices(WorkerPlugin):
    """One grading service per worker thread, each serving one submission at a time.

    config: what every service grades with (service.py): {"rubric", "tier", "gpu", "public_only"}.
    """

    def __init__(self, config, name):
        self.config, self.name = config, name

    def setup(self, worker):
        self.config_bytes = pickle.dumps(self.config)
        self.lock = threading.Lock()
        self.closed = False
        self.idle = queue.Queue()
        for _ in range(max(1, worker.state.nthreads)):
            self.idle.put(Service(self.config_bytes))

    def teardown(self, worker):
        with self.lock:
            self.closed = True
        while True:
            try:
                service = self.idle.get_nowait()
            except queue.Empty:
                return
            # Not waited for here, on the worker's event loop: it exits once it sees the link closed.
            threading.Thread(target=service.stop, daemon=True).start()

    def grade(self, name, label, packed):
        service = self.idle.get()
        try:
            if not service.alive():  # it left after a long idle time
                service = Service(self.config_bytes)
            return service.grade(name, label, packed)
        except ServiceLost:
            service.stop()
            service = Service(self.config_bytes)  # for the next task; this one Dask runs again
            raise
        finally:
            with self.lock:
                if self.closed:
                    service.stop()
                else:
                    self.idle.put(service)


class Service:
    """A grading service process (service.py) and the worker's end of its link."""

    def __init__(self, config_bytes):
        ours, theirs = socket.socketpair()
        try:
            self.process = subprocess.Popen([sys.executable, "-m", "autograder.cluster.service", str(theirs.fileno())],
                                            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        finally:
            theirs.close()
        self.link = ours
        self.ready = None   # its "ready" answer, once read
        channel.send(self.link, {"config": True}, config_bytes)

    def alive(self):
        return self.process.poll() is None

    def grade(self, name, label, packed):
        """Its answer for one submission: {"report", "seconds"} or {"failure", "seconds"}."""
        if self.ready is None:
            self.ready = self._answer("starting")
            if "error" in self.ready:
                raise ServiceFailed(f"the grading service could not start: {self.ready['error']}")
        if "error" in self.ready:
            raise ServiceFailed(f"the grading service could not start: {self.ready['error']}")
        try:
            channel.send(self.link, {"name": name, "label": label}, packed)
        except OSError:
            raise ServiceLost(self._gone(f"before grading {name}")) from None
        answer = self._answer(f"grading {name}")
        if "error" in answer:
            raise ServiceLost(f"the grading service failed while grading {name}: {answer['error']}")
        return answer

    def _answer(self, doing):
        try:
            message = channel.receive(self.link)
        except OSError:
            message = None
        if message is None:
            raise ServiceLost(self._gone(doing))
        return message[0]

    def _gone(self, doing):
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = "unknown"
        return f"the grading service (pid {self.process.pid}) exited {doing} (exit status {code}); see the Dask worker's log"

    def stop(self):
        """Close its link (it exits when idle) and wait for it, killing it if it lingers."""
        self.link.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
