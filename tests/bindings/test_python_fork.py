"""The Python package (bindings/python) across fork(), against the reference server (unittest).

usage: /usr/bin/python3 test_python_fork.py LIBBENTOGRPC_SO SOURCE_DIR [unittest args]

A child process made by os.fork() or multiprocessing must get working clients of its own,
refuse the parent's at once (ForkedError), and never disturb the parent. Every child runs
under a deadline: one still running then is killed and the test fails. Imports the package
from SOURCE_DIR/bindings/python (test_python.py tests the pip-installed copy).

This file is also the main module of multiprocessing's spawn and forkserver workers, which
import it: everything but the worker functions runs under ``__main__`` only.
"""
import os
import sys

CHILD_BOUND_S = 5.0  # a fork()ed child does one or two calls: ~0.1 s when it works
POOL_BOUND_S = 20.0  # a Pool's workers start (spawn: a new interpreter each) and call
EXAMPLE_BOUND_S = 5.0  # the README's example, as printed
ROWS = [[1, 2, 3, 4], [5, 6, 7, 8], [0.5, 0.5, 0.5, 0.5], [-1, 0, 1, 2], [9, 9, 9, 9],
        [2.5, 0, 0, 0]]

_pool_client = None  # each multiprocessing worker's own client (made by _init_worker)


def _init_worker(url):
    """Pool initializer: runs in the worker process, so the client is the worker's."""
    global _pool_client
    import bentogrpc
    _pool_client = bentogrpc.Client.from_url(url, discovery_timeout=5, timeout=5)


def _worker_predict(row):
    import numpy as np
    return float(_pool_client.predict(np.array([row], dtype=np.float32))[0]), os.getpid()


if __name__ == "__main__":
    LIB, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    del sys.argv[1:3]
    # workers (spawn, forkserver) inherit sys.path and the environment; no .pyc in the tree
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(SRC, "bindings", "python"))
    os.environ["BENTOGRPC_LIBRARY"] = LIB

import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import unittest  # noqa: E402

PY = "/usr/bin/python3"


def in_child(fn, bound=CHILD_BOUND_S):
    """Runs fn() in an os.fork()ed child and returns what it returned (JSON-able). Fails the
    test when fn raised, when the child died otherwise, or when it was still running after
    `bound` seconds (it is killed then)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report through the pipe, never return into unittest
        code = 1
        try:
            os.close(r)
            try:
                out, code = {"ok": fn()}, 0
            except BaseException as e:
                out = {"error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
            data = json.dumps(out).encode()
            while data:
                data = data[os.write(w, data):]
        finally:
            os._exit(code)
    os.close(w)
    deadline = time.monotonic() + bound
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise AssertionError(f"the forked child was still running after {bound} s "
                                     "(killed)")
            time.sleep(0.01)
        with os.fdopen(r, "rb") as f:
            r = None
            raw = f.read()
    finally:
        if r is not None:
            os.close(r)
    report = json.loads(raw) if raw else {}
    if "error" in report:
        raise AssertionError("the forked child failed: " + report["trace"])
    code = os.waitstatus_to_exitcode(status)
    if code != 0 or "ok" not in report:
        raise AssertionError(f"the forked child exited with {code}, report {raw!r}")
    return report["ok"]


def current_wakeup_fd():
    """Python's signal wake-up fd, left as it was (the binding's: warnings off)."""
    fd = signal.set_wakeup_fd(-1)
    if fd != -1:
        signal.set_wakeup_fd(fd, warn_on_full_buffer=False)
    return fd


def start_server(*args):
    server = subprocess.Popen([PY, os.path.join(SRC, "tests/server/reference_server.py"),
                               "--no-access-log", *args], stdout=subprocess.PIPE, text=True)
    SERVERS.append(server)
    line = server.stdout.readline()
    if not line.startswith("PORT"):
        raise RuntimeError(f"reference server did not start: {line!r}")
    return f"127.0.0.1:{int(line.split()[1])}"


SERVERS = []


def setUpModule():
    global URL
    URL = start_server("--slow-ms", "300")


def tearDownModule():
    for s in SERVERS:
        s.terminate()
        try:
            s.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.kill()
            s.wait()
        s.stdout.close()


class ForkBase(unittest.TestCase):
    """A parent that has used a sync and an async client (on the main thread, so calls watched
    the binding's signal wake-up pipe) before each fork."""

    @classmethod
    def setUpClass(cls):
        import numpy as np
        import bentogrpc
        cls.np, cls.bg = np, bentogrpc
        cls.x = np.array(ROWS, dtype=np.float32)
        cls.sums = [sum(r) for r in ROWS]
        cls.client = bentogrpc.Client.from_url(URL, discovery_timeout=5, timeout=5)
        cls.loop = asyncio.new_event_loop()
        cls.aclient = cls.loop.run_until_complete(
            bentogrpc.AsyncClient.from_url(URL, discovery_timeout=5, timeout=5))

    @classmethod
    def tearDownClass(cls):
        cls.loop.run_until_complete(cls.aclient.close())
        cls.loop.close()
        cls.client.close()

    def setUp(self):
        self.assert_parent_works()
        from bentogrpc import client as client_module
        # calls run on the main thread, watching the binding's wake-up pipe: no helper thread
        # for a child to lack, but a pipe the child must not share
        self.assertIsNone(client_module._worker)
        self.assertIsNotNone(client_module._wake)
        self.assertEqual(current_wakeup_fd(), client_module._wake[1])

    def assert_parent_works(self):
        self.np.testing.assert_allclose(self.client.predict(self.x), self.sums)
        self.assertEqual(self.client.health(), "SERVING")

        async def both():
            return await asyncio.gather(self.aclient.predict(self.x), self.aclient.health())
        y, health = self.loop.run_until_complete(asyncio.wait_for(both(), 5))
        self.np.testing.assert_allclose(y, self.sums)
        self.assertEqual(health, "SERVING")

    def assert_forked_error(self, e):
        self.assertIsInstance(e, self.bg.ForkedError)
        self.assertIsInstance(e, self.bg.BentoGrpcError)
        self.assertEqual(e.status, "BG_ERR_FORKED")
        self.assertIn("create clients after fork", str(e))


class ChildWithItsOwnClient(ForkBase):
    def test_sync_client_made_in_child(self):
        def child():
            c = self.bg.Client.from_url(URL, discovery_timeout=3, timeout=3)
            y = c.predict(self.x).tolist()  # on the main thread, with a wake-up pipe of its own
            direct = self.bg.Client.from_url(URL, discovery_timeout=3, timeout=3,
                                             interruptible=False)
            z = direct.predict(self.x).tolist()
            health = c.health()
            c.close()
            direct.close()
            return y, z, health
        y, z, health = in_child(child)
        self.np.testing.assert_allclose(y, self.sums)
        self.np.testing.assert_allclose(z, self.sums)
        self.assertEqual(health, "SERVING")
        self.assert_parent_works()

    def test_async_client_made_in_child(self):
        def child():
            async def main():
                async with await self.bg.AsyncClient.from_url(URL, discovery_timeout=3,
                                                              timeout=3) as c:
                    ys = await asyncio.gather(*(c.predict(self.x) for _ in range(4)))
                    return [y.tolist() for y in ys], await c.health()
            return asyncio.run(main())
        ys, health = in_child(child)
        self.assertEqual(len(ys), 4)
        for y in ys:
            self.np.testing.assert_allclose(y, self.sums)
        self.assertEqual(health, "SERVING")
        self.assert_parent_works()

    def test_grandchild(self):
        def child():
            c = self.bg.Client.from_url(URL, discovery_timeout=3, timeout=3)
            c.predict(self.x)

            def grandchild():
                with self.assertRaises(self.bg.ForkedError):  # the child's client
                    c.predict(self.x)
                with self.bg.Client.from_url(URL, discovery_timeout=3, timeout=3) as g:
                    return g.predict(self.x).tolist()
            y = in_child(grandchild, bound=CHILD_BOUND_S / 2)
            return y, c.predict(self.x).tolist()  # the child's client still works
        y, z = in_child(child)
        self.np.testing.assert_allclose(y, self.sums)
        self.np.testing.assert_allclose(z, self.sums)
        self.assert_parent_works()

    def test_child_has_its_own_wakeup_pipe_and_ctrl_c(self):
        from bentogrpc import client as client_module
        parent_pipe = [os.fstat(fd).st_ino for fd in client_module._wake]

        def child():
            # the parent's pipe is gone from the child, and no wake-up fd is left set
            before = (client_module._wake, current_wakeup_fd())
            c = self.bg.Client.from_url(URL, discovery_timeout=3, timeout=3)
            c.predict(self.x)
            mine = [os.fstat(fd).st_ino for fd in client_module._wake]
            # Ctrl-C in the child cancels the child's call
            threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
            t0 = time.monotonic()
            try:
                c.slow_echo_ndarray(self.np.arange(3, dtype=self.np.int32), timeout=3)
                outcome = "returned"
            except KeyboardInterrupt as e:
                outcome = type(e.__cause__).__name__
            took = time.monotonic() - t0
            # the same without per-call options: the call the _fastcall extension makes when
            # it is loaded, whose own record of the pipe (set_wake) the fork reset too; the
            # ctypes path's runs counted (in this child only) to show which path made it
            ctypes_runs = []
            for name in ("_run_watching", "_run_plain", "_run_cancellable"):
                def counted(*args, _run=getattr(client_module, name)):
                    ctypes_runs.append(1)
                    return _run(*args)
                setattr(client_module, name, counted)
            threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
            t0 = time.monotonic()
            try:
                c.slow_echo_ndarray(self.np.arange(3, dtype=self.np.int32))
                plain_outcome = "returned"
            except KeyboardInterrupt as e:
                plain_outcome = type(e.__cause__).__name__
            except Exception as e:
                plain_outcome = f"{type(e).__name__}: {e}"
            plain_took = time.monotonic() - t0
            return (before, mine, outcome, took, plain_outcome, plain_took, len(ctypes_runs),
                    c.bonjour("child"))
        before, mine, outcome, took, plain_outcome, plain_took, runs, hello = in_child(child)
        from bentogrpc import _lib
        self.assertEqual(runs, 0 if _lib.fastcall is not None else 1)
        self.assertEqual(before, [None, -1])
        self.assertEqual(len(set(mine) & set(parent_pipe)), 0)
        self.assertEqual(outcome, "CancelledError")
        self.assertLess(took, 0.25)  # 0.1 s, then cancelled (the call takes 0.3 s)
        self.assertEqual(plain_outcome, "CancelledError")
        self.assertLess(plain_took, 0.25)
        self.assertEqual(hello, "Hello, child!")
        self.assert_parent_works()

    def test_sigint_to_a_child_leaves_the_parents_call_alone(self):
        # a child lives on (a worker process) while the parent's main thread is in
        # slow_echo_ndarray (300 ms), watching its pipe; the child takes a SIGINT. Had the
        # child kept the parent's pipe as its wake-up fd, the signal's byte would cancel the
        # parent's call.
        pid = os.fork()
        if pid == 0:
            code = 3
            try:
                time.sleep(0.1)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
                code = 1  # not interrupted
            except KeyboardInterrupt:
                code = 0
            finally:
                os._exit(code)
        try:
            echoed = self.client.slow_echo_ndarray(self.np.arange(3, dtype=self.np.int32),
                                                   timeout=5)
        finally:
            deadline = time.monotonic() + CHILD_BOUND_S
            while not os.waitpid(pid, os.WNOHANG)[0]:
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    self.fail("the child was still running (killed)")
                time.sleep(0.01)
        self.assertEqual(echoed.tolist(), [0, 1, 2])
        self.assert_parent_works()

    def test_fork_while_a_call_runs_on_the_main_thread(self):
        # the main thread waits for slow_echo_ndarray (300 ms) while another thread forks:
        # the child has neither that call nor the parent's wake-up pipe
        results = {}

        def fork_meanwhile():
            time.sleep(0.1)
            try:
                results["child"] = in_child(lambda: self.bg.Client.from_url(
                    URL, discovery_timeout=3, timeout=3).predict(self.x).tolist())
            except BaseException as e:
                results["child"] = e
        t = threading.Thread(target=fork_meanwhile)
        t.start()
        echoed = self.client.slow_echo_ndarray(self.np.arange(3, dtype=self.np.int32), timeout=5)
        t.join(CHILD_BOUND_S + 2)
        self.assertFalse(t.is_alive())
        self.assertEqual(echoed.tolist(), [0, 1, 2])
        if isinstance(results["child"], BaseException):
            raise results["child"]
        self.np.testing.assert_allclose(results["child"], self.sums)
        self.assert_parent_works()

    def test_loader_lock_held_at_fork(self):
        # the lock that guards loading the library, held by a thread that the child lacks
        from bentogrpc import _lib
        held = _lib._lock
        held.acquire()
        try:
            y = in_child(lambda: self.bg.Client.from_url(
                URL, discovery_timeout=3, timeout=3).predict(self.x).tolist())
        finally:
            held.release()
        self.np.testing.assert_allclose(y, self.sums)
        self.assert_parent_works()


class ParentsClientInChild(ForkBase):
    def test_sync_client_fails_at_once(self):
        def child():
            out = []
            for use in (lambda: self.client.predict(self.x),
                        lambda: self.client.call("predict", self.x),
                        lambda: self.client.health()):
                t0 = time.monotonic()
                try:
                    use()
                    out.append(["no error", 0])
                except BaseException as e:
                    self.assert_forked_error(e)
                    out.append([str(e), time.monotonic() - t0])
            self.client.close()  # frees the child's copy only
            return out
        for message, elapsed in in_child(child):
            self.assertIn("was created before fork()", message)
            self.assertLess(elapsed, 0.5)
        self.assert_parent_works()

    def test_library_refuses_too(self):
        # under the binding's own check: the library's BG_ERR_FORKED is a ForkedError
        import ctypes
        from bentogrpc import _lib
        from bentogrpc.errors import from_error

        def child():
            lib, err, status = self.client._lib, _lib.Error(), ctypes.c_int()
            rc = lib.bg_client_health(self.client._handle, None, 1000, ctypes.byref(status),
                                      ctypes.byref(err))
            e = from_error(lib, err)
            return rc, type(e).__name__, e.status, e.message
        rc, cls, status, message = in_child(child)
        self.assertEqual((rc, cls, status), (12, "ForkedError", "BG_ERR_FORKED"))
        self.assertIn("Create a new client in this process after fork()", message)
        self.assert_parent_works()

    def test_async_client_fails_at_once(self):
        def child():
            async def main():
                t0 = time.monotonic()
                with self.assertRaises(self.bg.ForkedError) as cm:
                    await self.aclient.predict(self.x)
                self.assert_forked_error(cm.exception)
                with self.assertRaises(self.bg.ForkedError):
                    await self.aclient.health()
                elapsed = time.monotonic() - t0
                await self.aclient.close()  # frees the child's copy only
                return elapsed
            return asyncio.run(main())
        self.assertLess(in_child(child), 0.5)
        self.assert_parent_works()

    def test_child_collects_parents_client(self):
        # a child that lets go of the parent's client: its __del__ closes it in the child
        import gc
        import weakref

        def child():
            ref = weakref.ref(self.client)
            type(self).client = None  # the child's copy of the class attribute
            gc.collect()
            return ref() is None
        self.assertTrue(in_child(child))
        self.assert_parent_works()


class Multiprocessing(ForkBase):
    def pool_map(self, method):
        ctx = multiprocessing.get_context(method)
        with ctx.Pool(2, initializer=_init_worker, initargs=(URL,)) as pool:
            out = pool.map_async(_worker_predict, ROWS).get(timeout=POOL_BOUND_S)
        self.np.testing.assert_allclose([y for y, _ in out], self.sums)
        pids = {pid for _, pid in out}
        self.assertNotIn(os.getpid(), pids)
        self.assertLessEqual(len(pids), 2)
        self.assert_parent_works()

    def test_fork(self):
        self.pool_map("fork")

    def test_forkserver(self):
        self.pool_map("forkserver")

    def test_spawn(self):
        self.pool_map("spawn")


class ReadmeExample(unittest.TestCase):
    """The README's "Fork and multiprocessing (Python)" example (the block after
    ``<!-- readme-test: fork_example.py -->``), exactly as printed."""

    def test_runs_as_printed(self):
        extract = subprocess.run([PY, os.path.join(SRC, "tests/readme/extract_block.py"),
                                  os.path.join(SRC, "README.md"), "fork_example.py"],
                                 capture_output=True, text=True)
        self.assertEqual(extract.returncode, 0, extract.stderr)
        self.assertIn("ForkedError", extract.stdout)
        with tempfile.NamedTemporaryFile("w", suffix=".py") as script:
            script.write(extract.stdout)
            script.flush()
            env = dict(os.environ, PYTHONPATH=os.path.join(SRC, "bindings", "python"))
            t0 = time.monotonic()
            r = subprocess.run([PY, script.name, URL], env=env, capture_output=True, text=True,
                               timeout=EXAMPLE_BOUND_S, start_new_session=True)
            elapsed = time.monotonic() - t0
        self.assertEqual(r.returncode, 0, r.stderr)
        # Python >= 3.12 warns about fork() in a process with threads (gRPC's): not a failure
        fork_warning = re.compile(r".*DeprecationWarning: This process \(pid=\d+\) is "
                                  r"multi-threaded, use of fork\(\).*\n(  .*\n)?")
        self.assertEqual(fork_warning.sub("", r.stderr), "")
        lines = r.stdout.splitlines()
        self.assertEqual(lines[0], "parent: [10.0, 26.0, 2.0]", r.stdout)
        self.assertTrue(lines[1].startswith("child: BG_ERR_FORKED: "), r.stdout)
        self.assertIn("create clients after fork", lines[1])
        self.assertEqual(lines[2:], ["workers: [10.0, 26.0, 2.0]",
                                     "parent again: [10.0, 26.0, 2.0]"], r.stdout)
        self.assertLess(elapsed, EXAMPLE_BOUND_S)


if __name__ == "__main__":
    unittest.main(verbosity=2)
