"""Run by test_python.py (class Interrupt) in a process of its own: signals during blocking
Client calls. Prints one JSON object per scenario, then "done".

usage: /usr/bin/python3 python_signals_child.py SITE_DIR URL
URL's server must take SLOW_S seconds in slow_echo_ndarray (--slow-ms). Times are
time.monotonic() (CLOCK_MONOTONIC: the same clock in every process of the machine).
"""
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, sys.argv[1])
import numpy as np  # noqa: E402

import bentogrpc  # noqa: E402
from bentogrpc import client as client_module  # noqa: E402

URL = sys.argv[2]
SLOW_S = float(sys.argv[3])
X = np.arange(3, dtype=np.int32)


def report(name, **fields):
    print(json.dumps(dict(fields, scenario=name)), flush=True)


def signal_later(delay, sig=signal.SIGINT, box=None):
    def send():
        time.sleep(delay)
        if box is not None:
            box["sent"] = time.monotonic()
        os.kill(os.getpid(), sig)
    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


# how many calls client.py's ctypes path ran (its three ways of running one): a call the
# _fastcall extension makes runs none
ctypes_runs = [0]


def counted(fn):
    def run(*args, **kw):
        ctypes_runs[0] += 1
        return fn(*args, **kw)
    return run


for _name in ("_run_watching", "_run_plain", "_run_cancellable"):
    setattr(client_module, _name, counted(getattr(client_module, _name)))


def slow_call(client, name, options=True, **fields):
    """Calls slow_echo_ndarray (with a per-call option, or none: `options`); reports how it
    ended, and how many runs of the ctypes path it took."""
    t0 = time.monotonic()
    runs = ctypes_runs[0]
    try:
        y = client.slow_echo_ndarray(X, timeout=30) if options else client.slow_echo_ndarray(X)
        fields.update(outcome="returned", value=y.tolist())
    except KeyboardInterrupt as e:
        fields.update(outcome="KeyboardInterrupt", cause=type(e.__cause__).__name__,
                      cause_status=getattr(e.__cause__, "grpc_status_name", None))
    except Exception as e:
        fields.update(outcome=type(e).__name__, message=str(e))
    fields.update(t0=t0, t1=time.monotonic(), at=time.monotonic(),
                  ctypes_runs=ctypes_runs[0] - runs)
    fields["next"] = client.bonjour("next")  # the client works on
    report(name, **fields)


c = bentogrpc.Client.from_url(URL)

# Ctrl-C from a thread of this process
box = {}
signal_later(0.3, box=box)
slow_call(c, "sigint_from_thread", box=box)
report("state", worker=client_module._worker is not None,
       wake=getattr(client_module, "_wake", None) is not None)

# Ctrl-C from another process (the test): it sends SIGINT once it has read "waiting"
print(json.dumps({"scenario": "waiting"}), flush=True)
slow_call(c, "sigint_from_process")

# a handler that does not raise: the call is neither cancelled nor retried
ran = []
signal.signal(signal.SIGUSR1, lambda *a: ran.append(time.monotonic()))
signal_later(0.2, signal.SIGUSR1)
signal_later(0.4, signal.SIGUSR1)
slow_call(c, "sigusr1_quiet", ran=ran)


# a handler that raises: its exception comes when the call has returned
class Raised(Exception):
    pass


def raise_it(*a):
    raise Raised("from the SIGUSR1 handler")


signal.signal(signal.SIGUSR1, raise_it)
signal_later(0.2, signal.SIGUSR1)
slow_call(c, "sigusr1_raises")
signal.signal(signal.SIGUSR1, signal.SIG_DFL)

# a custom SIGINT handler that does not raise: Ctrl-C does not cancel the call
ran = []
signal.signal(signal.SIGINT, lambda *a: ran.append(time.monotonic()))
signal_later(0.2)
slow_call(c, "sigint_custom_handler", ran=ran)
signal.signal(signal.SIGINT, signal.default_int_handler)

# interruptible=False: Ctrl-C waits for the call to end
direct = bentogrpc.Client.from_url(URL, interruptible=False)
signal_later(0.2)
slow_call(direct, "sigint_not_interruptible")
direct.close()

# calls from another thread: made as they are; Ctrl-C interrupts the main thread only
out, finished = {}, threading.Event()


def in_thread():
    try:
        t0 = time.monotonic()
        out["value"] = c.slow_echo_ndarray(X, timeout=30).tolist()
        out["t0"], out["t1"] = t0, time.monotonic()
        out["small"] = c.bonjour("thread")
    finally:
        finished.set()


worker = threading.Thread(target=in_thread)
worker.start()
time.sleep(0.2)
box = {}
signal_later(0.1, box=box)
try:  # an Event, not join(): Python 3.11's join() interrupted once does not wait again
    finished.wait(30)
    main = "waited"
except KeyboardInterrupt:
    main = "KeyboardInterrupt"
    main_at = time.monotonic()
finished.wait(30)
worker.join(30)
report("other_thread", main=main, main_after=main_at - box["sent"], **out)

# someone else's wake-up fd (asyncio, a GUI toolkit): kept, and the call is still cancelled
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
box = {}
signal_later(0.3, box=box)
slow_call(c, "sigint_foreign_wakeup_fd", box=box)
kept = signal.set_wakeup_fd(-1)
os.set_blocking(r, False)
report("foreign_state", kept=kept == w, their_bytes=list(os.read(r, 100)),
       worker=client_module._worker is not None)

# The same scenarios without per-call options: the calls the _fastcall extension makes when it
# is loaded (ctypes_runs 0), the ctypes path's otherwise. The wake-up fd is unset here: the
# first one installs the binding's pipe again.
box = {}
signal_later(0.3, box=box)
slow_call(c, "nopt_sigint_from_thread", options=False, box=box)
ran = []
signal.signal(signal.SIGUSR1, lambda *a: ran.append(time.monotonic()))
signal_later(0.2, signal.SIGUSR1)
slow_call(c, "nopt_sigusr1_quiet", options=False, ran=ran)
signal.signal(signal.SIGUSR1, raise_it)
signal_later(0.2, signal.SIGUSR1)
slow_call(c, "nopt_sigusr1_raises", options=False)
signal.signal(signal.SIGUSR1, signal.SIG_DFL)
ran = []
signal.signal(signal.SIGINT, lambda *a: ran.append(time.monotonic()))
signal_later(0.2)
slow_call(c, "nopt_sigint_custom_handler", options=False, ran=ran)
signal.signal(signal.SIGINT, signal.default_int_handler)
r2, w2 = os.pipe()
os.set_blocking(w2, False)
signal.set_wakeup_fd(w2)
box = {}
signal_later(0.3, box=box)
slow_call(c, "nopt_sigint_foreign_wakeup_fd", options=False, box=box)
kept = signal.set_wakeup_fd(-1)
report("nopt_foreign_state", kept=kept == w2)
print("done", flush=True)
