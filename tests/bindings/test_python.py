"""The Python package (bindings/python) against the reference server, with unittest.

usage: /usr/bin/python3 test_python.py LIBBENTOGRPC_SO SOURCE_DIR [unittest args]
Installs the package with pip into a temporary prefix first and tests that installed copy.
"""
import asyncio
import ctypes
import gc
import glob
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest
import weakref

import numpy as np

LIB, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
del sys.argv[1:3]
PY = "/usr/bin/python3"
PREFIX = tempfile.mkdtemp(prefix="bentogrpc-py-")
SERVERS = []


def install():
    """pip install into PREFIX (no network, Debian's setuptools): the README's command, without
    the library in the package (BENTOGRPC_BUILD_LIBRARY=0): these tests load the build tree's
    through BENTOGRPC_LIBRARY (test_python_wheel.py tests the wheel that carries its own)."""
    subprocess.run([PY, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index",
                    "--no-warn-script-location", "--prefix", PREFIX,
                    os.path.join(SRC, "bindings", "python")], check=True,
                   env=dict(os.environ, PIP_ROOT_USER_ACTION="ignore",
                            BENTOGRPC_BUILD_LIBRARY="0"))
    site = glob.glob(os.path.join(PREFIX, "**", "bentogrpc", "__init__.py"), recursive=True)
    assert site, "pip did not install the package"
    return os.path.dirname(os.path.dirname(site[0]))


SITE = install()
shutil.rmtree(os.path.join(SRC, "bindings", "python", "build"), ignore_errors=True)
for d in glob.glob(os.path.join(SRC, "bindings", "python", "*.egg-info")):
    shutil.rmtree(d, ignore_errors=True)
sys.path.insert(0, SITE)
os.environ["BENTOGRPC_LIBRARY"] = LIB
import bentogrpc  # noqa: E402
from bentogrpc import _lib, _values  # noqa: E402

try:
    import pandas as pd
except ImportError:
    pd = None
try:
    from PIL import Image
except ImportError:
    Image = None


def start_server(*args, script="tests/server/reference_server.py"):
    server = subprocess.Popen([PY, os.path.join(SRC, script), *args], stdout=subprocess.PIPE,
                              text=True)
    SERVERS.append(server)
    line = server.stdout.readline()
    if not line.startswith("PORT"):
        raise RuntimeError(f"reference server did not start: {line!r}")
    return f"127.0.0.1:{int(line.split()[1])}"


def setUpModule():
    global URL
    URL = start_server("--slow-ms", "5000")


def tearDownModule():
    for s in SERVERS:  # bounded: a server stuck in its own shutdown must not stall the suite
        s.terminate()
        try:
            s.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print(f"test server {s.pid} ({s.args[1:]}) ignored SIGTERM for 15 s: killed",
                  file=sys.stderr)
            s.kill()
            s.wait()
        s.stdout.close()
    shutil.rmtree(PREFIX, ignore_errors=True)


class Packaging(unittest.TestCase):
    def run_py(self, code, env):
        return subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True,
                              cwd=PREFIX)

    def test_installed_copy_is_used(self):
        self.assertTrue(bentogrpc.__file__.startswith(PREFIX), bentogrpc.__file__)

    def test_version_is_the_cmake_projects_wherever_the_package_lives(self):
        with open(os.path.join(SRC, "CMakeLists.txt"), encoding="utf-8") as f:
            want = re.search(r"project\(\s*bentogrpc\s+VERSION\s+([0-9.]+)", f.read()).group(1)
        # pip's copy: setup.py wrote the number into _version.py
        self.assertEqual(bentogrpc.__version__, want)
        # the source tree: _version.py reads the repository's CMakeLists.txt
        code = "import bentogrpc; print(bentogrpc.__version__, bentogrpc.__file__)"
        r = self.run_py(code, dict(os.environ, PYTHONPATH=os.path.join(SRC, "bindings", "python")))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), [want, os.path.join(SRC, "bindings", "python",
                                                                "bentogrpc", "__init__.py")])
        # the modules installed without setup.py, beside a .dist-info (as a distribution's
        # package installs them): the metadata's version
        site = tempfile.mkdtemp(dir=PREFIX)
        shutil.copytree(os.path.join(SRC, "bindings", "python", "bentogrpc"),
                        os.path.join(site, "bentogrpc"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
        os.makedirs(os.path.join(site, "bentogrpc-9.8.7.dist-info"))
        with open(os.path.join(site, "bentogrpc-9.8.7.dist-info", "METADATA"), "w") as f:
            f.write("Metadata-Version: 2.1\nName: bentogrpc\nVersion: 9.8.7\n")
        r = self.run_py(code, dict(os.environ, PYTHONPATH=site))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split()[0], "9.8.7")

    @unittest.skipIf(__import__("ctypes.util").util.find_library("bentogrpc"),
                     "libbentogrpc is installed system-wide, so it would be found")
    def test_missing_library_names_what_was_tried(self):
        env = dict(os.environ, BENTOGRPC_LIBRARY="/nonexistent/libbentogrpc.so",
                   PYTHONPATH=SITE, LD_LIBRARY_PATH="")
        r = self.run_py("import bentogrpc\nbentogrpc.Client.from_url('127.0.0.1:1')", env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("libbentogrpc not found; tried: /nonexistent/libbentogrpc.so", r.stderr)
        self.assertIn("BENTOGRPC_LIBRARY", r.stderr)
        self.assertNotIn("Exception ignored", r.stderr)  # no second failure from __del__

    def test_library_next_to_package(self):
        pkg = os.path.join(SITE, "bentogrpc")
        shutil.copy(LIB, os.path.join(pkg, "libbentogrpc.so"))
        try:
            env = {k: v for k, v in os.environ.items() if k != "BENTOGRPC_LIBRARY"}
            env["PYTHONPATH"] = SITE
            r = self.run_py("from bentogrpc import _lib\nprint(_lib.load()._name)", env)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), os.path.join(pkg, "libbentogrpc.so"))
        finally:
            os.remove(os.path.join(pkg, "libbentogrpc.so"))


class Sync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = bentogrpc.Client.from_url(URL)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_apis_attribute_calls_and_docs(self):
        c = self.client
        self.assertIn("predict", c.apis)
        self.assertEqual(c.predict.__doc__.splitlines()[0],
                         "Sum each row of an N×4 float32 batch.")
        self.assertIn("predict", dir(c))
        with self.assertRaises(AttributeError) as cm:
            c.no_such_api
        self.assertIn("predict", str(cm.exception))
        x = np.array([[5.9, 3.0, 5.1, 1.8], [1, 2, 3, 4]], dtype=np.float32)
        np.testing.assert_allclose(c.predict(x), x.sum(axis=1))
        np.testing.assert_allclose(c.call("predict", x), x.sum(axis=1))

    def test_health_and_wait_until_ready(self):
        self.assertEqual(self.client.health(), "SERVING")
        bentogrpc.wait_until_server_ready(URL, timeout=10)
        with self.assertRaises(bentogrpc.ServerNotReadyError) as cm:
            bentogrpc.wait_until_server_ready("127.0.0.1:1", timeout=0.3, check_interval=0.1)
        self.assertIsInstance(cm.exception, TimeoutError)

    def test_ndarray_every_dtype(self):
        for dtype in (np.float32, np.float64, np.int32, np.int64, np.uint32, np.uint64, np.bool_):
            a = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
            b = self.client.echo_ndarray(a)
            self.assertEqual(b.dtype, a.dtype)
            np.testing.assert_array_equal(a, b)
        # strings: BentoML's server cannot send them back, so round-trip the value here
        s = np.array([["a", "bé"], ["c", ""]])
        lib, enc = _lib.load(), _values.Encoder(_lib.load())
        v = enc.encode(s, "bentoml.io.NumpyNdarray", {})
        try:
            self.assertEqual(lib.bg_ndarray_dtype(v), 8)
            np.testing.assert_array_equal(_values.decode(lib, None, v), s)
        finally:
            enc.free(v)
        np.testing.assert_array_equal(self.client.echo_ndarray(np.zeros((0, 3))),
                                      np.zeros((0, 3)))
        t = np.arange(12, dtype=np.float64).reshape(3, 4).T  # not C-contiguous
        np.testing.assert_array_equal(self.client.echo_ndarray(t), t)

    def test_input_not_copied(self):
        """The value handed to the library points at the numpy buffer itself."""
        lib = _lib.load()
        a = np.arange(1 << 20, dtype=np.float32)
        enc = _values.Encoder(lib)
        v = enc.encode(a, "bentoml.io.NumpyNdarray", {})
        try:
            self.assertEqual(lib.bg_ndarray_data(v), a.ctypes.data)
            self.assertIs(enc.keep[0], a)
        finally:
            enc.free(v)
        big = np.random.default_rng(1).random(1 << 20)
        np.testing.assert_array_equal(self.client.echo_ndarray(big), big)

    def test_read_only_and_unaligned_inputs(self):
        """Arrays that cannot be borrowed as they are (read-only, unaligned, non-native byte
        order) take the converting path and arrive unchanged."""
        ro = np.frombuffer(np.arange(6, dtype=np.float32).tobytes(), np.float32).reshape(2, 3)
        self.assertFalse(ro.flags.writeable)
        np.testing.assert_array_equal(self.client.echo_ndarray(ro), ro)
        raw = np.zeros(4 * 8 + 1, dtype=np.uint8)
        odd = raw[1:].view(np.float64)  # one byte past an aligned start
        odd[:] = [1.5, -2.0, 3.25, 4.0]
        self.assertFalse(odd.flags.aligned)
        np.testing.assert_array_equal(self.client.echo_ndarray(odd), odd)
        big_endian = np.arange(5, dtype=">i8")
        np.testing.assert_array_equal(self.client.echo_ndarray(big_endian), big_endian)

    def test_client_wide_options_without_per_call_options(self):
        """A call without per-call options uses the client's own options, made once: its
        headers and validate=False hold on the main thread (where the call also watches the
        wake-up pipe) and on other threads, call after call; per-call options still apply."""
        with bentogrpc.Client.from_url(URL, headers={"x-echo": "wide"}, validate=False) as c:
            seen = {}

            def run(where):
                try:
                    c.echo_ndarray_enforce_shape(np.ones(4))  # not checked here: the server
                    refused = None
                except bentogrpc.ServerError as e:
                    refused = e.grpc_status_name
                seen[where] = [c.echo_metadata("") for _ in range(3)] + [refused]

            run("main")
            t = threading.Thread(target=run, args=("thread",))
            t.start()
            t.join(30)
            self.assertEqual(seen, {"main": ["wide"] * 3 + ["INVALID_ARGUMENT"],
                                    "thread": ["wide"] * 3 + ["INVALID_ARGUMENT"]})
            with self.assertRaises(bentogrpc.InvalidArgumentError):  # checked again per call
                c.echo_ndarray_enforce_shape(np.ones(4), validate=True)
            self.assertEqual(c.echo_metadata(""), "wide")
        with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:  # closed
            c.echo_metadata("")
        self.assertIn("closed", cm.exception.message)

    def test_bad_client_wide_header_leaves_no_connection(self):
        """A client-wide header the library refuses fails Client(...) itself, and the
        connection made before it was checked is closed, not leaked with its socket."""
        def fds():
            return len(os.listdir("/proc/self/fd"))
        bentogrpc.Client.from_url(URL).close()  # gRPC's own process-wide descriptors first
        before = fds()
        for _ in range(5):
            with self.assertRaises(bentogrpc.InvalidArgumentError):
                bentogrpc.Client.from_url(URL, headers={"Bad Header": "x"})
        deadline = time.monotonic() + 5  # a closed channel's socket closes shortly after
        while fds() > before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertLessEqual(fds(), before)

    def test_unknown_api_names_are_not_kept(self):
        """Client.call keeps its per-API preparation for the server's APIs only: calling
        names the server does not have (typos, generated names) does not grow it."""
        c = self.client
        c.bonjour("x")
        kept = set(c._plans)
        for i in range(50):
            with self.assertRaises(bentogrpc.UnknownApiError):
                c.call(f"no_such_api_{i}", np.ones(1))
        self.assertEqual(set(c._plans), kept)
        self.assertIn("bonjour", kept)

    def test_output_owns_library_buffer_writable(self):
        y = self.client.echo_ndarray(np.arange(8, dtype=np.int64).reshape(2, 4))
        self.assertTrue(y.flags.writeable)
        if _lib.fastcall is not None:  # the extension's owner is the array's base itself
            self.assertEqual(type(y.base).__name__, "Value")
            owner = y.base
        else:
            self.assertIsInstance(y.base, _values._Buffer)
            owner = y.base.owner
        lib = _lib.load()
        self.assertEqual(y.ctypes.data, lib.bg_ndarray_data(owner.ptr))  # no copy made
        y[1, 3] = 99
        self.assertEqual(y[1, 3], 99)
        view = y[0]
        gone = weakref.ref(owner)
        del y, owner
        gc.collect()
        self.assertIsNotNone(gone())  # the view still uses the buffer
        self.assertEqual(view.tolist(), [0, 1, 2, 3])
        del view
        gc.collect()
        self.assertIsNone(gone())  # freed with the last array

    def test_json_text_bytes(self):
        c = self.client
        obj = {"a": [1, 2.5, None, True], "b": {"c": "é"}, "n": np.int64(3)}
        self.assertEqual(c.echo_json(obj), {"a": [1.0, 2.5, None, True], "b": {"c": "é"},
                                             "n": 3.0})
        self.assertEqual(c.echo_json([1, "x"]), [1.0, "x"])
        self.assertEqual(c.echo_json("just a string"), "just a string")
        self.assertEqual(c.bonjour("Bento"), "Hello, Bento!")
        self.assertEqual(c.custom_io(b"abcd"), "custom:4")  # unsupported descriptor: raw
        with self.assertRaises(bentogrpc.ServerError) as cm:
            c.echo_json_validate({"request_id": 1})
        self.assertEqual(cm.exception.grpc_status, 3)
        self.assertEqual(cm.exception.grpc_status_name, "INVALID_ARGUMENT")

    def test_servers_without_discovery_are_opened_raw(self):
        """README "BentoML releases": from_url's error names Client.open, which works."""
        for release, advice, kw in (
                ("1.0.11", "bentogrpc.Client.open(url) calls its APIs without discovery", {}),
                ("1.0.10", "bentogrpc.Client.open(url, protocol_version='v1alpha1')",
                 {"protocol_version": "v1alpha1"})):
            url = start_server("--bentoml-release", release)
            with self.assertRaises(bentogrpc.ServerError) as cm:
                bentogrpc.Client.from_url(url)
            self.assertEqual(cm.exception.grpc_status_name, "UNIMPLEMENTED")
            self.assertIn(advice, str(cm.exception))
            with bentogrpc.Client.open(url, **kw) as c:
                self.assertEqual(c.apis, {})
                self.assertEqual(c.call("bonjour", "old"), "Hello, old!")
                self.assertEqual(c.health(), "SERVING")

    def test_files_paths_and_file_objects(self):
        url = start_server("--file-mode", "intended")
        with bentogrpc.Client.from_url(url) as c, tempfile.TemporaryDirectory() as d:
            out = c.predict_file(bentogrpc.File(b"%PDF-1", "application/pdf"))
            self.assertEqual(out.data, b"%PDF-1")
            path = os.path.join(d, "data.bin")
            with open(path, "wb") as f:
                f.write(b"\x00\x01\x02")
            self.assertEqual(c.predict_file(path).data, b"\x00\x01\x02")
            with open(path, "rb") as f:
                self.assertEqual(c.predict_file(f).data, b"\x00\x01\x02")
            self.assertEqual(c.predict_file(io.BytesIO(b"xyz")).data, b"xyz")
            self.assertEqual(c.predict_file(b"raw").data, b"raw")

    @unittest.skipIf(pd is None, "pandas is not installed")
    def test_pandas(self):
        df = pd.DataFrame({"col1": np.array([1, 2, 3], dtype=np.int64)})
        out = self.client.double_dataframe(df)
        self.assertIsInstance(out, pd.DataFrame)
        self.assertEqual(out["col1"].tolist(), [2, 4, 6])
        df2 = pd.DataFrame({"age": [3, 29], "height": [94, 170], "weight": [31, 115]})
        pd.testing.assert_frame_equal(self.client.echo_dataframe_from_sample(df2), df2,
                                      check_dtype=False)
        s = self.client.echo_series_from_sample(pd.Series([1, 2, 3]))
        self.assertIsInstance(s, pd.Series)
        self.assertEqual(s.tolist(), [1, 2, 3])

    @unittest.skipIf(Image is None, "Pillow is not installed")
    def test_images_and_multipart(self):
        img = Image.new("RGB", (4, 3), (10, 20, 30))
        out = self.client.echo_image(img)
        self.assertEqual(out.size, (4, 3))
        self.assertEqual(out.getpixel((1, 1)), (10, 20, 30))
        res = self.client.predict_multi_images({"original": img, "compared": img})
        self.assertEqual(res["meta"], "success")
        self.assertEqual(res["result"].getpixel((0, 0)), (100, 144, 132))  # uint8 product
        arr = np.full((2, 2, 3), 7, dtype=np.uint8)  # an ndarray for an Image input
        self.assertEqual(self.client.echo_image(arr).getpixel((0, 0)), (7, 7, 7))

    def test_errors(self):
        c = self.client
        with self.assertRaises(bentogrpc.UnknownApiError) as cm:
            c.call("no_such_api", np.ones(1))
        self.assertIn("predict", cm.exception.message)
        with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:
            c.echo_ndarray_enforce_shape(np.ones(4))
        self.assertIn("(2, 2)", cm.exception.message)
        self.assertEqual(cm.exception.status, "BG_ERR_INVALID_ARGUMENT")
        with self.assertRaises(bentogrpc.ServerError) as cm:  # validation off: server says
            c.echo_ndarray_enforce_shape(np.ones(4), validate=False)
        self.assertEqual(cm.exception.grpc_status_name, "INVALID_ARGUMENT")
        with self.assertRaises(bentogrpc.ServerError) as cm:
            c.fail_with_status("NOT_FOUND|gone")
        self.assertEqual((cm.exception.grpc_status, cm.exception.code), (5, 5))
        with self.assertRaises(bentogrpc.InvalidArgumentError):
            c.echo_ndarray(np.ones(2, dtype=np.complex64))
        with self.assertRaises(bentogrpc.InvalidArgumentError):
            bentogrpc.Client.from_url("localhost")
        with self.assertRaises(bentogrpc.UnavailableError):
            bentogrpc.Client.from_url("127.0.0.1:1", discovery_timeout=2)

    def test_timeouts_headers_compression(self):
        c = self.client
        with self.assertRaises(bentogrpc.DeadlineExceededError):
            c.slow_echo_ndarray(np.ones(2), timeout=0.2)
        with bentogrpc.Client.from_url(URL, timeout=0.2) as short:  # client default
            with self.assertRaises(bentogrpc.DeadlineExceededError):
                short.slow_echo_ndarray(np.ones(2))
            self.assertEqual(short.bonjour("x"), "Hello, x!")
        self.assertEqual(c.echo_metadata("", headers={"x-echo": "hi"}), "hi")
        with bentogrpc.Client.from_url(URL, headers=[("x-echo", "default")],
                                       compression="gzip") as h:
            self.assertEqual(h.echo_metadata(""), "default")
            z = np.zeros(1 << 16)
            got = h.echo_size(z, compression="deflate")
            self.assertGreater(got["received_bytes"], z.nbytes)  # decompressed size
            np.testing.assert_array_equal(h.echo_ndarray(z), z)
        with self.assertRaises(bentogrpc.InvalidArgumentError):
            c.bonjour("x", compression="brotli")

    def test_gil_released_during_call(self):
        started, done = threading.Event(), threading.Event()

        def slow():
            started.set()
            try:
                self.client.slow_echo_ndarray(np.ones(2), timeout=3)
            except bentogrpc.DeadlineExceededError:
                pass
            done.set()
        t = threading.Thread(target=slow)
        t.start()
        started.wait()
        # this thread runs Python and its own call while the slow one waits in C
        self.assertEqual(self.client.bonjour("y"), "Hello, y!")
        self.assertFalse(done.is_set())
        t.join()

    def test_context_manager_and_close(self):
        with bentogrpc.Client.from_url(URL) as c:
            self.assertEqual(c.bonjour("a"), "Hello, a!")
        with self.assertRaises(bentogrpc.InvalidArgumentError):
            c.bonjour("a")
        c.close()  # idempotent

    def test_tls_and_mtls(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["bash", os.path.join(SRC, "tests/support/make_certs.sh"), d],
                           check=True)
            p = lambda n: os.path.join(d, n)  # noqa: E731
            url = start_server("--tls-cert", p("server.pem"), "--tls-key", p("server.key"),
                               "--tls-ca", p("ca.pem"))
            with bentogrpc.Client.from_url(url, root_certs=p("ca.pem"),
                                           client_cert=p("client.pem"),
                                           client_key=p("client.key")) as c:
                self.assertEqual(c.bonjour("tls"), "Hello, tls!")
            def pem(name):
                with open(p(name), "rb") as f:
                    return f.read()
            with bentogrpc.Client.from_url(url, root_certs=pem("ca.pem"),
                                           client_cert=pem("client.pem"),
                                           client_key=pem("client.key")) as c:
                self.assertEqual(c.bonjour("pem"), "Hello, pem!")
            with self.assertRaises(bentogrpc.BentoGrpcError):  # no client certificate
                bentogrpc.Client.from_url(url, root_certs=p("ca.pem"), discovery_timeout=3)
            with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:
                bentogrpc.Client.from_url(url, root_certs=p("missing.pem"))
            self.assertIn("missing.pem", cm.exception.message)


class Arrays(unittest.TestCase):
    """numpy arrays as numpy defines them: 0-d arrays and numpy scalars, either byte order,
    and every memory layout keep their values and logical (C) order on the wire; only
    C-contiguous, aligned, native arrays are sent without a copy; dtypes the protocol cannot
    carry are refused by name before anything is sent."""

    @classmethod
    def setUpClass(cls):
        cls.client = bentogrpc.Client.from_url(URL)
        cls.lib = _lib.load()

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def encoded(self, arr):
        """(dtype, shape, elements as numpy, borrowed?) of the value the binding builds."""
        lib, enc = self.lib, _values.Encoder(self.lib)
        v = enc.encode(arr, "bentoml.io.NumpyNdarray", {})
        try:
            ndim, count = lib.bg_ndarray_ndim(v), lib.bg_ndarray_count(v)
            shape = tuple(lib.bg_ndarray_shape(v)[i] for i in range(ndim))
            dtype = np.dtype(_values.DTYPES[lib.bg_ndarray_dtype(v)])
            address = lib.bg_ndarray_data(v)
            elements = np.frombuffer(
                __import__("ctypes").string_at(address, count * dtype.itemsize), dtype=dtype)
            borrowed = arr.size > 0 and address == np.asarray(arr).ctypes.data
            return dtype, shape, elements.copy(), borrowed
        finally:
            enc.free(v)

    def test_zero_d_arrays_and_numpy_scalars(self):
        """A shape () holds one element: sent with an empty shape and one value; BentoML
        reads an empty shape as 1-D, so the echo comes back as shape (1,)."""
        for x in (np.array(3.5, dtype=np.float32), np.float64(2.25), np.int64(-7),
                  np.int32(5), np.uint64(2**63 + 1), np.bool_(True), np.array(9, dtype=">i8")):
            with self.subTest(x=repr(x)):
                dtype, shape, elements, _ = self.encoded(x)
                self.assertEqual((shape, elements.tolist()), ((), [x.item()]))
                self.assertEqual(dtype, np.dtype(x.dtype).newbyteorder("="))
                out = self.client.echo_ndarray(x)
                self.assertEqual(out.shape, (1,))
                self.assertEqual(out.tolist(), [x.item()])
        np.testing.assert_array_equal(self.client.double_ndarray(np.array(3.5)), [7.0])

    def test_big_endian_inputs_are_converted_outputs_native(self):
        base = np.array([[0, 1, 2], [3, 2**31 - 1, 7]])
        for code in (">f4", ">f8", ">i4", ">i8", ">u4", ">u8", "<f4", "=i8", "|b1", ">?"):
            a = (base % 2 if code in ("|b1", ">?") else base).astype(code)
            with self.subTest(dtype=code):
                dtype, shape, elements, borrowed = self.encoded(a)
                self.assertEqual(dtype, a.dtype.newbyteorder("="))
                self.assertEqual(shape, (2, 3))
                np.testing.assert_array_equal(elements, a.ravel())
                self.assertEqual(borrowed, a.dtype.isnative)  # one copy only when swapped
                out = self.client.echo_ndarray(a)
                self.assertTrue(out.dtype.isnative, out.dtype)
                self.assertEqual(out.dtype, a.dtype.newbyteorder("="))
                np.testing.assert_array_equal(out, a)
        x = np.array([[5.9, 3.0, 5.1, 1.8], [1, 2, 3, 4]], dtype=">f4")
        np.testing.assert_allclose(self.client.predict(x), x.astype(np.float32).sum(axis=1))
        np.testing.assert_array_equal(self.client.double_ndarray(x.astype(">i8")),
                                      x.astype(np.int64) * 2)

    def test_layouts_keep_logical_order(self):
        """What the server receives is the array's logical (C-order) content whatever its
        strides; only a C-contiguous, aligned, native array is borrowed (no copy)."""
        m = np.arange(24, dtype=np.float64).reshape(4, 6)
        raw = np.zeros(4 * 6 + 1, dtype=np.uint8).tobytes() + np.arange(6, dtype="<f4").tobytes()
        unaligned = np.frombuffer(raw, dtype="<f4", offset=4 * 6 + 1)[:5]  # odd address
        cases = {
            "C-contiguous": (m, True),
            "Fortran order": (np.asfortranarray(m), False),
            "transposed": (m.T, False),
            "negative strides": (m[::-1, ::-1], False),
            "step slice": (m[::2, 1::3], False),
            "column view": (m[:, 2], False),
            "contiguous row slice": (m[1:3], True),
            "broadcast (stride 0)": (np.broadcast_to(np.arange(3.0), (2, 3)), False),
            "3-D swapped axes, big-endian": (np.arange(24, dtype=">i4").reshape(2, 3, 4)
                                             .swapaxes(0, 2), False),
            "unaligned": (unaligned, False),
        }
        self.assertFalse(unaligned.flags.aligned)
        for name, (x, borrowed_expected) in cases.items():
            with self.subTest(layout=name):
                dtype, shape, elements, borrowed = self.encoded(x)
                self.assertEqual(shape, x.shape)
                np.testing.assert_array_equal(elements, np.ascontiguousarray(x).ravel())
                self.assertEqual(borrowed, borrowed_expected)
                out = self.client.echo_ndarray(x)
                self.assertEqual(out.shape, x.shape)
                np.testing.assert_array_equal(out, x)
                np.testing.assert_array_equal(self.client.double_ndarray(x), x * 2)
        # an order-sensitive computation on the server: the sum of each row
        batch = np.arange(12, dtype=np.float32).reshape(3, 4)
        for x in (np.asfortranarray(batch), batch[::-1], batch.T.copy().T,
                  np.arange(24, dtype=np.float32).reshape(3, 8)[:, ::2]):
            np.testing.assert_array_equal(self.client.predict(x), x.sum(axis=1))

    def test_unsupported_dtypes_are_refused_by_name(self):
        cases = {
            "complex64": np.ones(2, dtype=np.complex64),
            "complex128": np.ones(2, dtype=np.complex128),
            "float16": np.ones(2, dtype=np.float16),
            "int8": np.ones(2, dtype=np.int8),
            "uint16": np.ones(2, dtype=np.uint16),
            "datetime64[s]": np.array(["2024-01-01"], dtype="datetime64[s]"),
            "timedelta64[s]": np.array([5], dtype="timedelta64[s]"),
            "[('a', '<i4'), ('b', '<f4')]": np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]),
            "object": np.array([1, None], dtype=object),
            ">c8": np.ones(2, dtype=">c8"),
        }
        for name, x in cases.items():
            with self.subTest(dtype=name):
                with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:
                    self.client.echo_ndarray(x)
                self.assertIn(name, cm.exception.message)
                self.assertIn("float32", cm.exception.message)  # says what to use instead
        # str held as object (pandas), big-endian unicode or UTF-8 bytes: string arrays
        lib, enc = self.lib, _values.Encoder(self.lib)
        for x in (np.array(["a", "bé"], dtype=object), np.array(["a", "bé"], dtype=">U2"),
                  np.array(["a".encode(), "bé".encode()], dtype="S3")):
            with self.subTest(strings=x.dtype.str):
                v = enc.encode(x, "bentoml.io.NumpyNdarray", {})
                try:
                    self.assertEqual(lib.bg_ndarray_dtype(v), _values.STRING)
                    np.testing.assert_array_equal(_values.decode(lib, None, v), ["a", "bé"])
                finally:
                    enc.free(v)
        with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:
            self.client.echo_ndarray(np.array([b"\xff"], dtype="S1"))
        self.assertIn("not UTF-8", cm.exception.message)

    @unittest.skipIf(pd is None, "pandas is not installed")
    def test_dataframe_columns_of_every_kind_both_ways(self):
        """Every column kind through a server that echoes the message as it came (the
        reference server, like BentoML, refuses str columns in a reply): numbers over numpy
        buffers, str columns in bulk both ways (one UTF-8 block; a decoded column is one block,
        bg_series_string_block), and the element-by-element path for what the bulk path
        leaves (objects that are not str, a NUL character, numpy bytes)."""
        url = start_server("--scenario", "echo", script="tests/hostile/hostile_server.py")
        rows = 1000
        texts = ["", "ascii", "Z\u00fcrich", "\u6771\u4eac \U0001F642", "x" * 300]
        df = pd.DataFrame({
            "f64": np.arange(rows) * 0.25 - 3, "f32": np.arange(rows, dtype=np.float32) / 3,
            "i64": np.arange(rows, dtype=np.int64) * -(2 ** 40),
            "i32": np.arange(rows, dtype=np.int32) - 500, "b": np.arange(rows) % 3 == 0,
            "s": [texts[i % len(texts)] + str(i) for i in range(rows)],
            "o": np.array([None if i % 2 else i for i in range(rows)], dtype=object)})
        with bentogrpc.Client.from_url(url) as c:
            out = c.call("dataframe", df)
            want = df.assign(o=df["o"].map(str))  # non-str objects go as their str()
            pd.testing.assert_frame_equal(out, want)
            self.assertEqual(out["s"].dtype, object)  # pandas' str column, no numpy '<U'
            with self.assertRaises(bentogrpc.InvalidArgumentError) as cm:  # refused, not cut
                c.call("series", pd.Series(["c", "a\x00b"]))
            self.assertIn("string element 1 holds a NUL character", cm.exception.message)
            raw = c.call("series", pd.Series(np.array([b"caf\xc3\xa9", b""], dtype="S5")))
            self.assertEqual(raw.tolist(), ["caf\u00e9", ""])
            with self.assertRaises(bentogrpc.InvalidArgumentError):
                c.call("series", pd.Series(["\ud800"]))  # a lone surrogate is not UTF-8

    @unittest.skipIf(pd is None, "pandas is not installed")
    def test_big_endian_dataframe_and_series_columns(self):
        """pandas keeps a FITS table's big-endian columns: converted like ndarray inputs."""
        df = pd.DataFrame({"col1": np.array([1, 2, 3], dtype=">i8")})
        self.assertEqual(self.client.double_dataframe(df)["col1"].tolist(), [2, 4, 6])
        s = pd.Series(np.array([1, 2, 3], dtype=">i8"))
        self.assertEqual(self.client.echo_series_from_sample(s).tolist(), [1, 2, 3])
        f = pd.DataFrame({"age": np.array([3, 29], dtype=">f8"),
                          "height": np.array([94, 170], dtype=">i4"),
                          "weight": np.array([31, 115], dtype=">i2")})
        out = self.client.echo_dataframe_from_sample(f)
        self.assertEqual(out.values.tolist(), [[3, 94, 31], [29, 170, 115]])


class Interrupt(unittest.TestCase):
    """Signals during blocking calls (README "Ctrl-C"): tests/bindings/python_signals_child.py
    runs the scenarios in a process of its own against a server whose slow_echo_ndarray takes
    SLOW_S; this process sends one of the SIGINTs. Bound: CANCEL_BOUND_S from the signal to
    KeyboardInterrupt (the call watches the wake-up pipe every 20 ms)."""

    SLOW_S = 1.5
    CANCEL_BOUND_S = 0.1

    @classmethod
    def setUpClass(cls):
        url = start_server("--slow-ms", str(int(cls.SLOW_S * 1000)))
        child = subprocess.Popen([PY, os.path.join(SRC, "tests/bindings/python_signals_child.py"),
                                  SITE, url, str(cls.SLOW_S)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 env=dict(os.environ, BENTOGRPC_LIBRARY=LIB))
        timer = threading.Timer(60, child.kill)  # a hang fails instead of stalling
        timer.start()
        cls.results, cls.sent = {}, None
        try:
            for line in child.stdout:
                if line.strip() == "done":
                    break
                r = json.loads(line)
                if r["scenario"] == "waiting":  # Ctrl-C from another process
                    time.sleep(0.3)
                    cls.sent = time.monotonic()
                    child.send_signal(signal.SIGINT)
                cls.results[r["scenario"]] = r
            child.wait(30)
        finally:
            timer.cancel()
            child.kill()
            cls.stderr = child.stderr.read()
            child.stdout.close()
            child.stderr.close()

    def result(self, name):
        self.assertIn(name, self.results, self.stderr)
        return self.results[name]

    def assert_cancelled_soon(self, r, sent):
        self.assertEqual((r["outcome"], r["cause"], r["cause_status"]),
                         ("KeyboardInterrupt", "CancelledError", "CANCELLED"), r)
        self.assertLess(r["t1"] - sent, self.CANCEL_BOUND_S, r)
        self.assertEqual(r["next"], "Hello, next!")

    def test_ctrl_c_from_a_thread_cancels_within_100_ms(self):
        r = self.result("sigint_from_thread")
        self.assert_cancelled_soon(r, r["box"]["sent"])
        # on the caller's thread: no helper thread was started
        self.assertEqual(self.result("state"), {"scenario": "state", "worker": False,
                                                "wake": True})

    def test_ctrl_c_from_another_process_cancels_within_100_ms(self):
        self.assertIsNotNone(self.sent)
        self.assert_cancelled_soon(self.result("sigint_from_process"), self.sent)

    def test_quiet_handler_neither_cancels_nor_retries(self):
        r = self.result("sigusr1_quiet")
        self.assertEqual((r["outcome"], r["value"], r["next"]), ("returned", [0, 1, 2],
                                                                 "Hello, next!"), r)
        # one server call of SLOW_S (a retry would take twice as long)
        self.assertGreater(r["t1"] - r["t0"], self.SLOW_S - 0.1)
        self.assertLess(r["t1"] - r["t0"], 2 * self.SLOW_S - 0.1)
        # the handler ran when the call returned (Python runs it once for signals that
        # arrive together)
        self.assertGreaterEqual(len(r["ran"]), 1)
        self.assertGreaterEqual(r["ran"][0], r["t1"] - 0.05)

    def test_raising_handler_raises_after_the_call(self):
        r = self.result("sigusr1_raises")
        self.assertEqual(r["outcome"], "Raised", r)
        self.assertGreater(r["t1"] - r["t0"], self.SLOW_S - 0.1)

    def test_custom_sigint_handler_does_not_cancel(self):
        r = self.result("sigint_custom_handler")
        self.assertEqual((r["outcome"], r["value"]), ("returned", [0, 1, 2]), r)
        self.assertEqual(len(r["ran"]), 1)

    def test_not_interruptible_waits_for_the_call(self):
        r = self.result("sigint_not_interruptible")
        self.assertEqual(r["outcome"], "KeyboardInterrupt", r)
        self.assertEqual(r["cause"], "NoneType")  # not cancelled: it ran to its end
        self.assertGreater(r["t1"] - r["t0"], self.SLOW_S - 0.1)

    def test_call_on_another_thread(self):
        r = self.result("other_thread")
        self.assertEqual(r["main"], "KeyboardInterrupt")  # the main thread, at once
        self.assertLess(r["main_after"], self.CANCEL_BOUND_S)
        self.assertEqual((r.get("value"), r.get("small")), ([0, 1, 2], "Hello, thread!"),
                         (r, self.stderr))
        self.assertGreater(r["t1"] - r["t0"], self.SLOW_S - 0.1)  # not cancelled

    def test_someone_elses_wakeup_fd_is_kept(self):
        r = self.result("sigint_foreign_wakeup_fd")
        self.assert_cancelled_soon(r, r["box"]["sent"])
        st = self.result("foreign_state")
        # theirs stayed set and got the signal's byte; the call ran on the helper thread
        self.assertEqual((st["kept"], st["their_bytes"], st["worker"]),
                         (True, [int(signal.SIGINT)], True), st)


    def test_calls_without_options_take_the_same_routes(self):
        """The scenarios above with calls without per-call options, which the _fastcall
        extension makes when it is loaded (no run of the ctypes path) and the ctypes path
        otherwise: same outcomes, same bounds. Someone else's wake-up fd sends the call to the
        helper thread either way."""
        _lib.load()  # which sets _lib.fastcall up, as in the child
        ctypes_runs = 0 if _lib.fastcall is not None else 1
        r = self.result("nopt_sigint_from_thread")
        self.assert_cancelled_soon(r, r["box"]["sent"])
        self.assertEqual(r["ctypes_runs"], ctypes_runs, r)
        r = self.result("nopt_sigusr1_quiet")
        self.assertEqual((r["outcome"], r["value"], r["ctypes_runs"]),
                         ("returned", [0, 1, 2], ctypes_runs), r)
        self.assertLess(r["t1"] - r["t0"], 2 * self.SLOW_S - 0.1)  # not retried
        self.assertGreaterEqual(r["ran"][0], r["t1"] - 0.05)  # the handler ran after
        r = self.result("nopt_sigusr1_raises")
        self.assertEqual(r["outcome"], "Raised", r)
        self.assertGreater(r["t1"] - r["t0"], self.SLOW_S - 0.1)
        r = self.result("nopt_sigint_custom_handler")
        self.assertEqual((r["outcome"], r["value"], len(r["ran"])), ("returned", [0, 1, 2], 1),
                         r)
        r = self.result("nopt_sigint_foreign_wakeup_fd")
        self.assert_cancelled_soon(r, r["box"]["sent"])
        self.assertEqual(r["ctypes_runs"], 1, r)
        self.assertTrue(self.result("nopt_foreign_state")["kept"])


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Extension(unittest.TestCase):
    """The _fastcall extension (README "The _fastcall extension"): used when the build made it
    next to the library these tests load, unless BENTOGRPC_NO_EXTENSION=1 (ctest runs this
    file both ways); and no call leaks a library value or a Python object, with or without it."""

    @classmethod
    def setUpClass(cls):
        cls.client = bentogrpc.Client.from_url(URL)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()

    def test_used_when_built_unless_switched_off(self):
        built = glob.glob(os.path.join(os.path.dirname(LIB), "_fastcall.*.so"))
        if os.environ.get("BENTOGRPC_NO_EXTENSION", "") not in ("", "0") or not built:
            self.assertIsNone(_lib.fastcall)
            return
        self.assertIsNotNone(_lib.fastcall, f"built ({built[0]}) but not loaded")
        self.assertEqual(_lib.fastcall.API, _lib.FASTCALL_API)
        # both common cases go through it: its owner type under the array, and JSON alike
        # (a call it hands back to ctypes would give _values._Buffer)
        for _ in range(2):  # the first call on the main thread makes the wake-up pipe
            y = self.client.echo_ndarray(np.arange(4, dtype=np.float32))
        self.assertIs(type(y.base), _lib.fastcall.Value)
        self.assertEqual(self.client.echo_json({"a": [1, 2.5, None, True, "x"]}),
                         {"a": [1, 2.5, None, True, "x"]})

    def test_json_text_is_the_encoders(self):
        """The JSON text the extension writes itself is _values._json_encode's, byte for byte;
        what it does not write (other types, subclasses, NaN, non-str keys, big ints, deep or
        cyclic nesting) goes to _json_encode whole, and the server echoes every value as
        json would have sent it."""
        fast = _lib.fastcall
        if fast is None:
            self.skipTest("no _fastcall extension in use")
        with open(os.path.join(SRC, "bench", "payload.json"), encoding="utf-8") as f:
            payload = json.load(f)
        written = [
            {}, [], (), "", 0, -1, 2**63 - 1, -2**63, 2.5, -0.0, 1e300, 5e-324, 0.1, 1e16,
            123456789.0, 1.0 / 3, True, False, None, [[[]]], (1, [2, (3,)]),
            "quote\" back\\slash \n\r\t\b\f \x01\x1f\x7f\x80 é ÿ 漢字 \ud7ff \uffff 😀 \U0010ffff",
            {"a": {"b": {"c": [None, True, False, "x", 1, 1.5]}}, "": "", "é": ["😀"]},
            [list(range(200)), {str(i): i * 0.5 for i in range(100)}], payload, "nul \x00",
            # strings longer than the writer's chunk (4,096 characters), escapes across it
            "a\n😀é" * 1500, {"é" * 4097: "\x01" * 4095}, ["x" * 8192, "\\" * 4096],
        ]
        for doc in written:
            self.assertEqual(fast.json_text(doc), _values._json_encode(doc), repr(doc)[:80])
            # the library refuses integers it cannot send exactly, and NUL characters
            if (type(doc) is int and abs(doc) > 2**53) or doc == "nul \x00":
                with self.assertRaises(bentogrpc.InvalidArgumentError):
                    self.client.echo_json(doc)
                continue
            self.assertEqual(self.client.echo_json(doc), json.loads(json.dumps(doc)),
                             repr(doc)[:80])
        deep = []
        for _ in range(100):
            deep = [deep]
        cyclic = []
        cyclic.append(cyclic)
        handed_over = [float("nan"), float("inf"), {1: 2}, {"a": {None: 1}}, 2**64, -2**63 - 1,
                       np.float32(1.5), [np.int64(3)], {"a": np.arange(2)}, deep, cyclic,
                       type("S", (str,), {})("sub"), type("D", (dict,), {})(a=1)]
        for doc in handed_over:
            self.assertIsNone(fast.json_text(doc), repr(doc)[:80])
        # a lone surrogate: escaped as json escapes it (what the library makes of it is its own)
        self.assertEqual(fast.json_text("\ud800 x"), _values._json_encode("\ud800 x"))
        self.assertEqual(self.client.echo_json({"a": np.arange(2), "b": np.float32(1.5)}),
                         {"a": [0, 1], "b": 1.5})  # _json_default, as the ctypes path
        self.assertEqual(self.client.echo_json({1: 2}), {"1": 2})  # json's key conversion
        with self.assertRaises(ValueError):
            self.client.echo_json(cyclic)

    def test_json_numbers_are_written_as_repr_and_str(self):
        """The extension writes common floats and every 64-bit int itself: the text must be
        float.__repr__'s and int.__str__'s for all of them, those it leaves to repr included
        (checked in lists of 4,000, the text of each list compared whole)."""
        fast = _lib.fastcall
        if fast is None:
            self.skipTest("no _fastcall extension in use")
        import math
        import random
        rng = random.Random(20261207)
        floats = [k / 10 ** q for q in range(0, 8) for k in range(0, 1200)]
        floats += [rng.uniform(0, 10) ** rng.uniform(-12, 40) for _ in range(4000)]
        floats += [round(rng.uniform(0, 1e6), rng.randrange(0, 12)) for _ in range(4000)]
        floats += [float(rng.randrange(0, 10 ** rng.randrange(1, 17))) for _ in range(2000)]
        for edge in (1e-4, 1e15, 1e16, 2.0 ** 53, 0.1 + 0.2, 123456789012345.0,
                     0.000123456789012345, 999999999999999.9, 5e-324, 1.7976931348623157e308):
            x = edge
            for _ in range(3):  # the edge and its neighbours on both sides
                floats += [x, math.nextafter(edge, 0), math.nextafter(edge, math.inf)]
                x = math.nextafter(x, math.inf)
        floats = [x for x in floats if math.isfinite(x)]  # the largest one's upper neighbour
        floats += [-x for x in floats] + [0.0, -0.0]
        ints = [0, 1, -1, 9, 10, -10, 2 ** 63 - 1, -2 ** 63, 10 ** 18, -10 ** 18]
        ints += [rng.randrange(-2 ** 63, 2 ** 63) >> rng.randrange(0, 63) for _ in range(4000)]
        for values in (floats, ints):
            for i in range(0, len(values), 4000):
                part = values[i:i + 4000]
                self.assertEqual(fast.json_text(part), _values._json_encode(part))

    def test_str_columns_convert_as_the_python_code_does(self):
        """str_block and str_objects (str columns to and from the library's string blocks)
        give what _values' Python code gives, and hand back (None) whatever it must decide:
        objects that are not exactly str, a lone surrogate, other arrays, a block that does
        not hold the count it is told; no Python object leaks."""
        fast = _lib.fastcall
        if fast is None:
            self.skipTest("no _fastcall extension in use")
        def address(b):  # of a bytes object's data (kept alive by the caller)
            return ctypes.cast(ctypes.c_char_p(b), ctypes.c_void_p).value

        texts = ["", "ascii", "Z\u00fcrich", "\u6771\u4eac \U0001F642", "x" * 300,
                 "\x7f\x80\xff", "\u07ff\u0800\ud7ff\ue000\uffff", "\U00010000\U0010ffff a",
                 "\u00e9" * 70 + "\u6771" * 70]  # each width, each UTF-8 length's ends
        for items in (texts, texts * 50, [""], ["only"], []):
            arr = np.array(items + ["pad"], dtype=object)[:-1]  # object, even when empty
            want = "\0".join(items + [""]).encode() if items else b""
            self.assertEqual(fast.str_block(arr), want, repr(items)[:60])
            back = fast.str_objects(address(want), len(want), len(items))
            self.assertEqual(back.dtype, object)
            self.assertEqual(back.tolist(), items)
        # equal strings share one str (a table of the last ones made); strings that hash alike
        # (same length, same first, middle and last byte) stay apart; a column that does not
        # repeat early stops looking, and still reads right
        alike = ["a1c2e", "a9c8e", "a1c8e", "\u00e9x\u00e9", "\u00e9y\u00e9", ""]
        cities = ["Paris", "Z\u00fcrich", "K\u00f6ln", "S\u00e3o Paulo"]
        for items in ([alike[i * 7 % 6] for i in range(3000)], cities * 500,
                      [f"id{i}" for i in range(300)] + alike * 50):
            block = "\0".join(items + [""]).encode()
            back = fast.str_objects(address(block), len(block), len(items))
            self.assertEqual(back.tolist(), items)
            if items[0] == cities[0]:
                self.assertEqual(len({id(x) for x in back}), len(cities))
        # a NUL character goes into the block as the join puts it: the library counts the
        # strings and refuses the column (test_dataframe_columns_of_every_kind_both_ways)
        self.assertEqual(fast.str_block(np.array(["a\x00b"], dtype=object)), b"a\x00b\x00")
        # written by the extension, not asked of CPython: no UTF-8 copy left in the caller's str
        kept = ["Z\u00fcrich" + str(i) for i in range(3)]
        sizes = [sys.getsizeof(t) for t in kept]
        fast.str_block(np.array(kept, dtype=object))
        self.assertEqual([sys.getsizeof(t) for t in kept], sizes)
        sub = type("S", (str,), {})("sub")
        for arr in (np.array(["a", 1], dtype=object), np.array(["a", None], dtype=object),
                    np.array(["a", sub], dtype=object), np.array(["\ud800"], dtype=object),
                    np.array(["ok", "\u00e9\udfff"], dtype=object),
                    np.array(["\U0001F642\ud800"], dtype=object),
                    np.array(["a", "b"]), np.array([["a"], ["b"]], dtype=object),
                    np.array(["a", "b", "c"], dtype=object)[::2], ["a", "b"], "ab"):
            # an exception left set with the None would make the call raise SystemError
            self.assertIsNone(fast.str_block(arr), repr(arr))
        block, no_nul, bad = b"one\0two\0", b"no nul", b"\xff\0"
        for count in (0, 1, 3):  # more strings than counted, or fewer
            self.assertIsNone(fast.str_objects(address(block), len(block), count))
        for count in (len(block) + 1, 2 ** 40, 2 ** 61):  # more than the block can hold:
            self.assertIsNone(fast.str_objects(address(block), len(block), count))  # no array
        self.assertIsNone(fast.str_objects(address(no_nul), len(no_nul), 1))
        self.assertIsNone(fast.str_objects(0, 0, 0))  # no block at all
        with self.assertRaises(UnicodeDecodeError):  # the library checks UTF-8; not trusted
            fast.str_objects(address(bad), len(bad), 1)
        arr = np.array(texts * 20, dtype=object)
        before = sys.getallocatedblocks()
        for _ in range(200):
            b = fast.str_block(arr)
            fast.str_objects(address(b), len(b), arr.size)
            fast.str_block(np.array(["a", 1], dtype=object))
            fast.str_objects(address(block), len(block), 3)
        self.assertLess(sys.getallocatedblocks() - before, 100)

    def test_pipe_refused_as_wakeup_fd_is_handled_as_the_ctypes_path(self):
        """When signal.set_wakeup_fd refuses the binding's pipe (its write end made blocking,
        e.g. its number reused by another file after a close), the ctypes path makes the call
        without watching anything (its _cancel_route: ValueError -> _PLAIN); a call without
        per-call options must do the same with the extension, not raise the ValueError."""
        from bentogrpc import client as client_module
        c = self.client
        c.echo_json({"a": 1})  # on the main thread: the pipe is made and installed
        w = client_module._wake[1]
        os.set_blocking(w, True)
        try:
            with self.assertRaises(ValueError):  # what the ctypes path's swap meets
                signal.set_wakeup_fd(w, warn_on_full_buffer=False)
            self.assertEqual(c.echo_json({"a": 2}), {"a": 2.0})
            np.testing.assert_array_equal(c.echo_ndarray(np.arange(3.0)), np.arange(3.0))
        finally:
            os.set_blocking(w, False)
        self.assertEqual(signal.set_wakeup_fd(w, warn_on_full_buffer=False), w)  # ours still
        self.assertEqual(c.echo_json({"a": 3}), {"a": 3.0})

    def test_long_string_needs_no_more_memory_than_the_encoder(self):
        """A long str in a JSON input: the extension's text buffer grows with what it writes
        (at most 12 bytes a character, an escaped astral one), not by the worst case for the
        whole string at once (a 100 MiB str asked for 1.2 GiB): under an address-space limit
        the encoder meets, it writes the text too (the ctypes path would not fail either)."""
        if _lib.fastcall is None:
            self.skipTest("no _fastcall extension in use")
        code = textwrap.dedent("""\
            import resource
            from bentogrpc import _lib, _values
            _lib.load()
            s = "x" * (100 << 20)
            with open("/proc/self/status") as f:
                vm = int([l for l in f if l.startswith("VmSize")][0].split()[1]) * 1024
            resource.setrlimit(resource.RLIMIT_AS, (vm + (700 << 20), resource.RLIM_INFINITY))
            print(len(_values._json_encode(s)), flush=True)
            print(len(_lib.fastcall.json_text(s)))
            """)
        r = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, PYTHONPATH=SITE), cwd=PREFIX)
        self.assertEqual((r.returncode, r.stdout.split()), (0, [str((100 << 20) + 2)] * 2),
                         r.stderr[-2000:])

    def test_exceptions_are_the_ctypes_paths(self):
        """Errors of calls the extension makes are the package's own exceptions, and a JSON
        input json cannot encode raises what json raises."""
        c = self.client
        with self.assertRaises(bentogrpc.UnknownApiError) as ctx:
            c.call("no_such_api", np.ones(2, dtype=np.float32))
        self.assertEqual(ctx.exception.status, "BG_ERR_UNKNOWN_API")
        self.assertIn("no_such_api", ctx.exception.message)
        with self.assertRaises(ValueError):
            c.echo_json({"x": float("nan")})  # allow_nan=False, as Encoder.json
        with self.assertRaises(TypeError):
            c.echo_json({"x": object()})

    def test_no_leak_over_many_calls(self):
        """Bounded: 1,500 calls returning 64 KiB arrays would leave ~96 MiB behind if the output
        values were not freed (the bound is 24 MiB), 150 of ~90 KB JSON ~20 MiB (8), and 3,000
        small calls (arrays, JSON, an
        error) 3,000 or more Python objects if one a call were not released (the bound: 300
        allocated blocks, the interpreter's own caches)."""
        c = self.client
        big = np.ones(16384, dtype=np.float32)
        small = np.arange(4, dtype=np.float32)
        small_doc = {"a": [1, 2, 3], "b": {"c": "d"}}

        def small_calls(n):
            for i in range(n):
                c.echo_ndarray(small)
                c.echo_json(small_doc)
                if i % 10 == 0:
                    try:
                        c.call("no_such_api", small)
                    except bentogrpc.UnknownApiError:
                        pass

        for _ in range(200):  # warm up: the allocator's arenas, the plan cache, the pipe
            c.echo_ndarray(big)
        small_calls(200)
        gc.collect()
        rss = rss_bytes()
        for _ in range(1500):
            c.echo_ndarray(big)
        gc.collect()
        grown = rss_bytes() - rss
        self.assertLess(grown, 24 << 20, f"RSS grew by {grown >> 20} MiB over 1,500 calls")
        # ~90 KB JSON texts (written into a growing buffer by the extension): 150 calls would
        # leave ~20 MiB behind if the text or the values were not freed
        doc = {"x": list(range(16000))}
        c.echo_json(doc)
        gc.collect()
        rss = rss_bytes()
        for _ in range(150):
            c.echo_json(doc)
        gc.collect()
        grown = rss_bytes() - rss
        self.assertLess(grown, 8 << 20, f"RSS grew by {grown >> 20} MiB over 150 JSON calls")
        blocks = sys.getallocatedblocks()
        small_calls(1000)
        gc.collect()
        more = sys.getallocatedblocks() - blocks
        self.assertLess(more, 300, f"{more} Python blocks more after 3,000 calls")


class Async(unittest.TestCase):
    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 60))

    def test_many_in_flight(self):
        async def main():
            async with await bentogrpc.AsyncClient.from_url(URL) as c:
                xs = [np.full((1, 4), i, dtype=np.float32) for i in range(64)]
                ys = await asyncio.gather(*(c.predict(x) for x in xs))
                for i, y in enumerate(ys):
                    self.assertEqual(y.tolist(), [4.0 * i])
                self.assertTrue(ys[0].flags.writeable)
                self.assertEqual(await c.health(), "SERVING")
                self.assertEqual(await c.call("bonjour", "a"), "Hello, a!")
                self.assertEqual(await c.echo_json({"k": 1}), {"k": 1.0})
                # no thread per call: only the async client's own library thread was added
                self.assertLessEqual(threading.active_count(), threads_before + 1)
                with self.assertRaises(bentogrpc.DeadlineExceededError):
                    await c.slow_echo_ndarray(np.ones(2), timeout=0.2)
                with self.assertRaises(bentogrpc.UnknownApiError):
                    await c.call("nope", 1)
        threads_before = threading.active_count()
        self.run_async(main())

    def test_custom_io_called_raw(self):
        """APIs with descriptors the library does not know go through bg_async_call_raw,
        as Client.call uses bg_client_call_raw."""
        async def main():
            async with await bentogrpc.AsyncClient.from_url(URL) as c:
                self.assertFalse(c.apis["custom_io"].supported)
                self.assertEqual(await c.custom_io(b"abcd"), "custom:4")
                outs = await asyncio.gather(*(c.call("custom_io", b"x" * i)
                                              for i in range(1, 33)))
                self.assertEqual(outs, [f"custom:{i}" for i in range(1, 33)])
                self.assertEqual(await c.no_spec("hi"), "ok")  # a descriptor without spec
                self.assertEqual(await c.custom_io(b"ab", timeout=5, headers={"x-a": "1"},
                                                   compression="gzip"), "custom:2")
                # raw: the value's own type picks the field, and the server judges it
                with self.assertRaises(bentogrpc.ServerError) as cm:
                    await c.custom_io("text")
                self.assertEqual(cm.exception.grpc_status_name, "INVALID_ARGUMENT")
                self.assertIn("got 'text' instead", cm.exception.message)
                self.assertEqual(c.in_flight, 0)
        self.run_async(main())

    def test_file_refused_as_file_is_resent_like_sync(self):
        """The reference server refuses `file` like BentoML >= 1.0.16 (PROTOCOL.md §4.6).
        Client.call then resends the input as serialized_bytes, which gets past decoding to
        the broken server's File output failure (INTERNAL); AsyncClient must do the same on
        the first call, not report the refusal."""
        pdf = bentogrpc.File(b"%PDF-1", "application/pdf")
        with bentogrpc.Client.from_url(URL) as sync:
            with self.assertRaises(bentogrpc.ServerError) as cm:
                sync.predict_file(pdf)
        self.assertEqual(cm.exception.grpc_status_name, "INTERNAL")

        async def main():
            async with await bentogrpc.AsyncClient.from_url(URL) as c:
                for attempt in range(2):  # resent, then serialized_bytes at once
                    with self.assertRaises(bentogrpc.ServerError) as cm:
                        await c.predict_file(io.BytesIO(b"read once"))
                    self.assertEqual(cm.exception.grpc_status_name, "INTERNAL",
                                     f"call {attempt + 1}: {cm.exception.message}")
                    self.assertIn("An error has occurred in BentoML user code",
                                  cm.exception.message)
                self.assertEqual(c.in_flight, 0)
        self.run_async(main())

    def test_files_paths_and_file_objects(self):
        url = start_server("--file-mode", "intended")

        async def main():
            async with await bentogrpc.AsyncClient.from_url(url) as c:
                with tempfile.TemporaryDirectory() as d:
                    path = os.path.join(d, "data.bin")
                    with open(path, "wb") as f:
                        f.write(b"\x00\x01\x02")
                    with open(path, "rb") as f:
                        outs = await asyncio.gather(
                            c.predict_file(bentogrpc.File(b"%PDF-1", "application/pdf")),
                            c.predict_file(path), c.predict_file(f),
                            c.predict_file(io.BytesIO(b"xyz")), c.predict_file(b"raw"))
                self.assertEqual([o.data for o in outs],
                                 [b"%PDF-1", b"\x00\x01\x02", b"\x00\x01\x02", b"xyz", b"raw"])
        self.run_async(main())

    def test_task_cancellation_cancels_the_call(self):
        url = start_server("--slow-ms", "60000")

        async def drained(c):
            while c.in_flight:
                await asyncio.sleep(0.01)

        async def main():
            async with await bentogrpc.AsyncClient.from_url(url) as c:
                task = asyncio.ensure_future(c.slow_echo_ndarray(np.ones(2)))
                await asyncio.sleep(0.2)
                self.assertEqual(c.in_flight, 1)
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                # the gRPC call ends now, not when the server answers after 60 s
                await asyncio.wait_for(drained(c), 30)
                self.assertEqual(await c.bonjour("after"), "Hello, after!")
        self.run_async(main())

    def test_close_with_calls_in_flight(self):
        async def main():
            c = await bentogrpc.AsyncClient.from_url(URL)
            task = asyncio.ensure_future(c.slow_echo_ndarray(np.ones(2)))
            await asyncio.sleep(0.1)
            await c.close()
            with self.assertRaises(bentogrpc.CancelledError):
                await task
        self.run_async(main())


if __name__ == "__main__":
    import faulthandler  # a hang shows where it is before ctest's 120 s timeout kills us
    faulthandler.dump_traceback_later(105, exit=False)
    unittest.main(verbosity=2)
