"""What the integration scenario scripts share: the scenario registry, checks, bounded waits,
unique names, the AMQP connection most of them open and the command line they all take.
Each scenarios.py runs as its own process, so one registry per process is enough.

Usage, from a scenarios.py one directory below:
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from scenario_support import scenario, check, eventually, unique, ports_and_names, run
    ...
    def main():
        (port, amqp_port), names = ports_and_names(sys.argv, 2)
        run(names, port, amqp_port)
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


def eventually(done, what, deadline=DEADLINE, interval=0.01):
    """Waits until done() holds, looking every interval seconds; fails after the deadline.
    what names what is awaited: a string, or a function giving one when the wait has timed out
    (to show the state it ended in)."""
    until = time.monotonic() + deadline
    while not done():
        if time.monotonic() > until:
            raise AssertionError("timed out waiting for " + (what() if callable(what) else what))
        time.sleep(interval)


def recv_exactly(s, n, what):
    """Exactly n bytes from socket s; fails naming `what` when the peer closes first."""
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        check(chunk, what)
        data += chunk
    return data


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def amqp_connection(port, **kw):
    """A pika BlockingConnection to the AMQP 0-9-1 listener on loopback; kw are
    pika.ConnectionParameters' (heartbeat=1, ...)."""
    import pika  # here, so that a script with no AMQP side needs no pika

    return pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", port, **kw))


def ports_and_names(argv, count):
    """A script's command line, PORT... SCENARIO...: its first count arguments as port numbers,
    and the scenario names after them."""
    return [int(a) for a in argv[1:1 + count]], argv[1 + count:]


def run(names, *args):
    """Runs the named scenarios in the order given, each called with args, and prints
    "ok <name>" after each one that passed (the C++ drivers look for these lines); the first
    failed check raises, so the script exits 1."""
    for name in names:
        SCENARIOS[name](*args)
        print("ok " + name, flush=True)
