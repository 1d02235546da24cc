"""The security suites never turn themselves off quietly.

A sandbox or hostile-corpus test that cannot run on this machine (no root,
no bubblewrap) fails in CI, where everything must run, and elsewhere is
skipped with a warning in pytest's summary saying which protection went
untested, not with a line lost among the skips.
"""
import os
import warnings

import pytest


class SecurityTestNotRun(UserWarning):
    """A test of the sandbox could not run here."""


def unavailable(reason):
    """Fail (CI=true) or skip loudly the calling test: `reason` is why it cannot run here."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"a security test cannot run in CI: {reason}", pytrace=False)
    warnings.warn(SecurityTestNotRun(f"NOT TESTED HERE: {reason}"))
    pytest.skip(f"security test not run here: {reason}")


def require_root(what):
    """unavailable() unless the tests run as root (as CI does)."""
    if os.geteuid() != 0:
        unavailable(f"{what} (here uid {os.geteuid()})")
