"""The GPU parity mode of a worker: arguments go to a device module
(devices/cupy_device.py or devices/standin.py), results come back as NumPy.

Standard library and NumPy only: this runs inside the sandbox.
"""
import json
import sys

from .confine import ImportGuard

def enable_device(worker, module_spec):
    """GPU parity mode: arguments go to the device module, results come back as NumPy.

    module_spec: "module" or "module:key=value,..." (passed to its configure()).
    Calls with the "device" flag also report the module's stats() (host
    synchronisations during the call) as "device_stats". The module's
    install(), if any, runs here, before student code loads (the stand-in
    answers `import cupy`). Returns the module's CACHE_FOLDERS: what it
    writes under /tmp itself, which is not the student's.
    """
    module_name, _, options = module_spec.partition(":")
    guards = [finder for finder in sys.meta_path if isinstance(finder, ImportGuard)]
    for guard in guards:  # the device's own imports are the grader's, not the student's
        sys.meta_path.remove(guard)
    try:
        device = __import__(module_name)
    finally:
        sys.meta_path[:0] = guards
    for guard in guards:
        guard.allowed |= {module_name, *getattr(device, "IMPORTS", ())}
    if options:
        device.configure(**{key: json.loads(value) for key, _, value in
                            (item.partition("=") for item in options.split(","))})
    getattr(device, "install", lambda: None)()
    import numpy as np

    def to_device(value):
        if isinstance(value, np.ndarray):
            return device.asarray(value)
        if isinstance(value, dict):
            return {k: to_device(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_device(v) for v in value]
        return value

    def to_plain(value):
        return device.asnumpy(value) if device.is_device_array(value) else None

    plain_call = worker.call

    def call(header, blobs, decoded=None):
        if not header.get("device"):
            return plain_call(header, blobs, decoded)
        getattr(device, "reset_stats", lambda: None)()
        response, out_blobs = plain_call(header, blobs, decoded)
        stats = getattr(device, "stats", lambda: None)()
        if stats is not None:
            response["device_stats"] = stats
        return response, out_blobs

    worker.to_device = to_device
    worker.to_plain = to_plain
    worker.call = call
    return tuple(getattr(device, "CACHE_FOLDERS", ()))
