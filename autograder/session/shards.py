"""A lone submission's tests shared out among several processes (shards),
each taking the next test when it is free, so that all finish at about the
same time. A claim function hands out a list of rubric keys at a time, or
None when there are none left.
"""
import os


def all_at_once(keys):
    """(claim, close) for one process: all of `keys` at once."""
    groups = [list(keys)]
    return (lambda: groups.pop() if groups else None), (lambda: None)


def share_out(keys):
    """(claim, close) for several processes forked after this call.

    The keys' indices wait in a pipe, one byte each (one byte per group of
    keys past 255): reading one byte is atomic, so no two processes ever take
    the same key. close() closes the pipe once every process is done.
    """
    size = max(1, -(-len(keys) // 255))
    groups = [keys[i:i + size] for i in range(0, len(keys), size)]
    read_end, write_end = os.pipe()
    os.write(write_end, bytes(range(len(groups))))
    os.close(write_end)  # once the bytes are read, readers see the end

    def claim():
        token = os.read(read_end, 1)
        return groups[token[0]] if token else None
    return claim, lambda: os.close(read_end)
