"""Grading on a Dask cluster (`grade PATH... --scheduler ADDRESS`), for a
course that outgrows one machine. The grading is local grading's, moved:

    client.py   on the instructor's machine: intake, then one task per
                submission; each report written here as it comes back
    packing.py  a taken-in submission as bytes, and back into a folder
    plugin.py   on each Dask worker: a grading service per worker thread,
                and the task that hands a submission to a free one
    service.py  the grading service: a SuiteSession collected once, whose
                plan grades what arrives with session/batch.py
    channel.py  the messages between a worker and its services
    fingerprint.py  which grader a machine has: a worker's services grade
                only with the client's

See docs/cluster.md for starting a cluster and what it costs.
"""
