"""What the integration scenario scripts share: the scenario registry, checks, bounded waits and
unique names. Each scenarios.py runs as its own process, so one registry per process is enough.

Usage, from a scenarios.py one directory below:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from scenario_support import SCENARIOS, scenario, check, eventually, unique
"""

import time
import uuid

DEADLINE = 10.0  # seconds any single wait may take
SCENARIOS = {}


def scenario(f):
    SCENARIOS[f.__name__] = f
    return f


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eventually(done, what, deadline=DEADLINE):
    until = time.monotonic() + deadline
    while not done():
        if time.monotonic() > until:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.01)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
