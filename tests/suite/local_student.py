"""A stand-in for StudentCode that calls a submission's modules in this process.

The suite's helpers that judge what a student's functions return
(carry_forward.py, work_done.py) need only `call`, `call_many` and `called`.
Unit tests give them this: the same interface, caches kept here and handed
out as Handles as the worker does, without a sandbox or a worker process.
Only for code we trust (the corpus, the reference).
"""
import copy
import warnings

import numpy as np

from autograder import contract
from autograder.failures import StudentCallFailed
from autograder.sandbox.inside.protocol import Handle
from autograder.sandbox.outside.student_code import Returned


class LocalStudent:
    def __init__(self, modules):
        """modules: module name -> module (tests/corpus/materialize.py's import_submission)."""
        self.modules = modules
        self.caches = []
        self.called = []
        self.calls = 0

    def function(self, name):
        return getattr(self.modules[contract.module_of(name)], name)

    def resolve(self, value):
        """Arguments as the function gets them: Handles replaced by their caches, arrays copied."""
        if isinstance(value, Handle):
            return self.caches[int(value)]
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.resolve(item) for item in value]
        return copy.deepcopy(value)

    def kept(self, function, result):
        """The result as the worker sends it back: each cache as a Handle."""
        if not isinstance(result, tuple):
            return result
        positions = contract.cache_positions(function)
        items = list(result)
        for position in positions:
            if position < len(items):
                self.caches.append(items[position])
                items[position] = Handle(len(self.caches) - 1)
        return tuple(items)

    def call(self, function, *args, **kwargs):
        self.calls += 1
        if function not in self.called:
            self.called.append(function)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():   # the worker reports them, not raises
                warnings.simplefilter("ignore")
                result = self.function(function)(*self.resolve(list(args)), **self.resolve(kwargs))
        except Exception as error:   # noqa: BLE001 (the worker reports it the same way)
            raise StudentCallFailed(f"{function} raised {type(error).__name__}: {error}") from None
        return Returned(self.kept(function, result), [], [], 0.0)

    def call_many(self, function, args, variants):
        results = []
        for variant in variants:
            these = list(args)
            for path, value in variant:
                these = replaced(these, list(path), value)
            result = self.call(function, *these).value
            results.append(tuple(None if isinstance(item, Handle) else item for item in result)
                           if isinstance(result, tuple) else result)
        return results


def replaced(tree, path, value):
    """A copy of `tree` with the item at `path` (positions and keys) set to `value`."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: replaced(tree[head], rest, value)}
    items = list(tree)
    items[head] = replaced(items[head], rest, value)
    return items
