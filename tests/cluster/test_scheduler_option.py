"""Does `grade --scheduler` treat a bad scheduler as the command line treats bad input?

A value of no known form, a port where nothing listens, a host that does not
exist, something that answers but is not a Dask scheduler, and a missing
dask.distributed: each is one line on stderr naming the problem (the last
one how to install it), exit status 2, no traceback and no report. `bench
cluster` without dask.distributed says so in one line and exits 0.
"""
import socket
import subprocess
import sys
import threading

import pytest

try:
    from on_cluster import REPO, need_distributed, reports_in
except ModuleNotFoundError:  # tests/ became a package
    from tests.cluster.on_cluster import REPO, need_distributed, reports_in

SUBMISSION = REPO / "examples" / "submissions" / "carol"
# The command line, with dask.distributed made impossible to import (as where it is not installed).
WITHOUT_DASK = ("import runpy, sys; sys.modules['distributed'] = None; "
                "runpy.run_module('autograder', run_name='__main__', alter_sys=True)")


def grade(*extra, python=("-m", "autograder")):
    return subprocess.run([sys.executable, *python, "grade", str(SUBMISSION), *extra], cwd=REPO,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(done, out, *words):
    assert done.returncode == 2, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("autograder: error: --scheduler"), done.stderr[-2000:]
    for word in words:
        assert word in lines[0]
    assert not reports_in(out) if out.is_dir() else True


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("value", ["localhost:8786", "local:0", "local:100000", "tcp://", "tcp://host:port",
                                   "tcp://host:99999", "http://host:8786", "tcp://host:8786/path"])
def test_a_scheduler_of_no_known_form(value):
    need_distributed()
    from autograder.cluster.client import SchedulerError, check_scheduler
    with pytest.raises(SchedulerError) as error:
        check_scheduler(value)
    assert str(error.value).startswith(f"--scheduler {value}: ") and "\n" not in str(error.value)


def test_a_scheduler_of_no_known_form_on_the_command_line(tmp_path):
    need_distributed()
    assert_one_line_error(grade("--out", str(tmp_path), "--scheduler", "localhost:8786"), tmp_path,
                          "expected tcp://HOST:PORT")


@pytest.mark.parametrize("value, address", [("tcp://head:8786", "tcp://head:8786"), ("tcp://head", "tcp://head:8786"),
                                            ("tls://10.0.0.5:9000", "tls://10.0.0.5:9000"), ("local:1", None)])
def test_a_scheduler_of_a_known_form(value, address):
    need_distributed()
    from autograder.cluster.client import check_scheduler
    kind, where = check_scheduler(value)
    assert (kind, where) == ("local", 1) if address is None else (kind, where[0]) == ("address", address)


def test_nothing_listening(tmp_path):
    need_distributed()
    address = f"tcp://127.0.0.1:{free_port()}"
    assert_one_line_error(grade("--out", str(tmp_path), "--scheduler", address), tmp_path,
                          "no Dask scheduler answers at 127.0.0.1")


def test_no_such_host(tmp_path):
    need_distributed()
    assert_one_line_error(grade("--out", str(tmp_path), "--scheduler", "tcp://no-such-host.invalid:8786"),
                          tmp_path, "no such host")


def test_not_a_dask_scheduler(tmp_path):
    """A web server (say) on that port: it answers Dask's handshake with what is not Dask's."""
    need_distributed()
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        with server:
            connection, _ = server.accept()
            with connection:
                connection.recv(1 << 16)
                connection.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    assert_one_line_error(grade("--out", str(tmp_path), "--scheduler", f"tcp://127.0.0.1:{port}"),
                          tmp_path, "is not a Dask scheduler")


def test_dask_not_installed(tmp_path):
    done = grade("--out", str(tmp_path), "--scheduler", "local:1", python=("-c", WITHOUT_DASK))
    assert_one_line_error(done, tmp_path, "pip install -e '.[cluster]'")


def test_bench_cluster_without_dask():
    done = subprocess.run([sys.executable, "-c", WITHOUT_DASK, "bench", "cluster"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == [
        "cluster: dask.distributed is not installed (pip install -e '.[cluster]'); not measured"]
