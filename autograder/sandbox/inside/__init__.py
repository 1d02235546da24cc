"""What runs inside the sandbox: the worker that runs a student's code, its
confinement, the zygote that forks workers, the namespaces tier's sandbox,
and the device modules of the GPU parity mode.

Standard library and NumPy only, and nothing of the grader: the grader
starts `python -I -S run.py` from this folder (or forks it from the zygote),
where the folder is loaded as the package `_sandbox`. The grader imports one
module of it, protocol.py, the wire protocol both sides speak.
"""
