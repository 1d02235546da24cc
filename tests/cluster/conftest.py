"""Fixtures of the cluster tests (`grade --scheduler`, autograder/cluster/).

One dask.distributed LocalCluster (2 worker processes of one thread each,
nannies that restart a killed worker) serves the whole session; each test
runs the command line against it as an instructor would, with
`--scheduler tcp://...` (on_cluster.py). A test that kills a worker leaves
the next one to wait for the cluster to have its two workers back
(`ready_cluster`).

Without dask.distributed these tests skip, saying so; in CI (CI=true) they
fail instead: .ci/run installs the cluster extra.
"""
import logging

import pytest

try:
    import polling
    from on_cluster import WORKERS, Cluster, need_distributed
except ModuleNotFoundError:  # tests/ became a package
    from tests import polling
    from tests.cluster.on_cluster import WORKERS, Cluster, need_distributed


@pytest.fixture(scope="session")
def local_cluster():
    distributed = need_distributed()
    import dask
    from autograder.cluster.client import LOCAL_CLUSTER_CONFIG
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        cluster = distributed.LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster, set_as_default=False)
    try:
        yield Cluster(cluster.scheduler_address, client)
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def ready_cluster(local_cluster):
    """The session's cluster with both its workers up (a test before may have killed one)."""
    assert polling.wait_until(local_cluster.has_all_workers, seconds=120), "the LocalCluster lost a worker for good"
    local_cluster.client.wait_for_workers(WORKERS)
    return local_cluster
