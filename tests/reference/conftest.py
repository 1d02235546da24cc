"""Tests of the hidden reference solution (reference/*.py) itself.

The reference modules import each other by plain module name
(`from activations import sigmoid`), as a student's files do, so reference/
goes on sys.path before any test module here is imported. A module of the
same name that something else loaded earlier (a student's or a generated
stub's `lstm`) is dropped from sys.modules, so the names below resolve to
the reference.
"""
import sys
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference"
REFERENCE_MODULES = ("activations", "rnn", "lstm", "gru", "sequences")

if str(REFERENCE_DIR) not in sys.path:
    sys.path.insert(0, str(REFERENCE_DIR))
for _name in REFERENCE_MODULES:
    _module = sys.modules.get(_name)
    if _module is not None and Path(getattr(_module, "__file__", "") or "").parent != REFERENCE_DIR:
        del sys.modules[_name]
