"""Collecting the suite once (session/suite.py) and sharing a lone
submission's tests out among processes (session/shards.py)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.session import shards

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- collecting and sharing out the suite

COLLECTION_PROBE = """
import sys
import pytest
from autograder import paths
from autograder.session import hypothesis_setup, suite
hypothesis_setup.prepare()
visited = []

class Probe:
    def pytest_ignore_collect(self, collection_path, config):
        visited.append(str(collection_path))

pytest.main([str(paths.SUITE_DIR), *suite.PYTEST_ARGS, "--collect-only"], plugins=[Probe()])
outside = [path for path in visited if not path.startswith(str(paths.SUITE_DIR))]
print(len(visited), "paths looked at; outside the suite:", outside[:5])
sys.exit(1 if outside or not visited else 0)
"""


def test_collecting_the_suite_looks_at_nothing_outside_its_folder():
    """Does pytest collect the hidden suite without walking the folders above it (in a clean
    clone under a crowded /tmp that walk cost 0.3 s a grading) or reading a conftest.py there?"""
    done = subprocess.run([sys.executable, "-c", COLLECTION_PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


@pytest.mark.parametrize("count", [7, 300])
def test_shards_share_out_every_key_exactly_once(count):
    """Do two processes claiming from one queue together take every key once, and never the same one?"""
    keys = [f"key{i}" for i in range(count)]
    claim, close = shards.share_out(keys)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other shard
        taken = []
        while (claimed := claim()) is not None:
            taken += claimed
        os.write(write_end, json.dumps(taken).encode())
        os._exit(0)
    os.close(write_end)
    mine = []
    while (claimed := claim()) is not None:
        mine += claimed
    with os.fdopen(read_end) as pipe:
        theirs = json.loads(pipe.read())
    os.waitpid(pid, 0)
    close()
    assert not set(mine) & set(theirs)
    assert sorted(mine + theirs) == sorted(keys)
