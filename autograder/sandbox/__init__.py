"""The trust boundary: a student's code runs only in a sandboxed worker process.

- inside/: what runs in the sandbox (the worker that serves calls, its
  confinement, the zygote that forks workers, the namespaces tier's sandbox,
  the GPU device modules). Standard library and NumPy only; nothing of the
  grader, and the grader never imports it, but for inside/protocol.py.
- inside/protocol.py: the wire protocol, frames of JSON and `.npy` bytes:
  the one module both sides import.
- outside/: what runs in the grader to start and speak to workers: the
  isolation tiers and their probe, the zygote's client, uid leases, the GPU
  device selection, and the call client (StudentCode) the suite calls through.
"""
