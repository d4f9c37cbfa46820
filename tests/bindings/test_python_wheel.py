"""The Python wheel (bindings/python/setup.py) that carries its own libbentogrpc.so (unittest).

usage: /usr/bin/python3 test_python_wheel.py SOURCE_DIR [unittest args]
Copies the source tree (tracked and untracked files, no build directories) into a temporary
directory, builds the wheel there with the README's command (Debian's pip, offline: no build
isolation, no index), which builds the library through CMake; installs the wheel into a fresh
venv (--system-site-packages, for Debian's numpy) and, from that venv with BENTOGRPC_LIBRARY
unset and no build tree on any path, calls the reference server. Also checks the wheel's tag,
its files, the library's dependencies (the system's gRPC Core runtime only) and the lookup order.
"""
import glob
import os
import re
import selectors
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import unittest
import zipfile

SRC = os.path.abspath(sys.argv[1])
del sys.argv[1:2]
PY = "/usr/bin/python3"
TMP = tempfile.mkdtemp(prefix="bentogrpc-wheel-test-")
SERVERS = []
# The library's dependencies that are allowed: gRPC Core (libgrpc, libgpr), protobuf-c, jansson,
# OpenSSL and the C runtime.
ALLOWED_NEEDED = re.compile(r"^(libgrpc|libgpr|libprotobuf-c|libjansson|libcrypto|libssl|libc|"
                            r"libm|libpthread|libdl|ld-linux[-a-z0-9_]*)\.so(\.[0-9]+)*$")


def cmake_version():
    with open(os.path.join(SRC, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(\s*bentogrpc\s+VERSION\s+([0-9.]+)", f.read()).group(1)


def clean_env(**extra):
    """The environment without anything pointing at a library or a build tree."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("BENTOGRPC_LIBRARY", "PYTHONPATH", "LD_LIBRARY_PATH", "PYTHONHOME",
                        "VIRTUAL_ENV")}
    env["PIP_ROOT_USER_ACTION"] = "ignore"
    env.update(extra)
    return env


def run(cmd, timeout, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def copy_tree():
    """The source tree without build directories (as a user's checkout would be)."""
    dst = os.path.join(TMP, "src")

    def ignore(d, names):
        skip = {n for n in names if n in ("__pycache__", ".git") or n.endswith(".egg-info")}
        if os.path.samefile(d, SRC):
            skip |= {n for n in names if n.startswith("build") or n == "dist"}
        if os.path.samefile(d, os.path.join(SRC, "bindings", "python")):
            skip |= {n for n in names if n == "build"}
        return skip

    shutil.copytree(SRC, dst, ignore=ignore, symlinks=True)
    return dst


def setUpModule():
    global VERSION, WHEEL, VENV, VPY, VENV_LIB
    # cleanups run even when a step below fails (tearDownModule would not)
    unittest.addModuleCleanup(shutil.rmtree, TMP, ignore_errors=True)
    unittest.addModuleCleanup(stop_servers)
    VERSION = cmake_version()
    src = copy_tree()
    dist = os.path.join(TMP, "dist")
    # setup.py's CMake build directory goes under TMPDIR: one whose path names the library
    # (a checkout called libbentogrpc) must not make it take the extension for the library
    tmpdir = os.path.join(TMP, "libbentogrpc-checkout-tmp")
    os.makedirs(tmpdir)
    # the README's command (Debian's pip, offline)
    run([PY, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
         "-w", dist, os.path.join(src, "bindings", "python")], timeout=240, cwd=src,
        env=clean_env(CMAKE_BUILD_PARALLEL_LEVEL="2", TMPDIR=tmpdir))
    wheels = glob.glob(os.path.join(dist, "*.whl"))
    assert len(wheels) == 1, wheels
    WHEEL = wheels[0]
    # the source copy goes: nothing may load from it
    shutil.rmtree(src)
    VENV = os.path.join(TMP, "venv")
    run([PY, "-m", "venv", "--system-site-packages", VENV], timeout=120)
    VPY = os.path.join(VENV, "bin", "python")
    run([VPY, "-m", "pip", "install", "-q", "--no-index", "--no-deps", WHEEL], timeout=120,
        env=clean_env())
    VENV_LIB = run([VPY, "-c", "import bentogrpc, os; print(os.path.dirname(bentogrpc.__file__))"],
                   timeout=60, env=clean_env(), cwd=TMP).stdout.strip()


def stop_servers():
    for s in SERVERS:
        s.terminate()
        try:
            s.wait(timeout=10)
        except subprocess.TimeoutExpired:
            s.kill()
            s.wait()
        s.stdout.close()


def start_server(*args):
    """The reference server on a free loopback port; its address once it says PORT n."""
    server = subprocess.Popen([PY, os.path.join(SRC, "tests/server/reference_server.py"), *args],
                              stdout=subprocess.PIPE, text=True)
    SERVERS.append(server)
    sel = selectors.DefaultSelector()
    sel.register(server.stdout, selectors.EVENT_READ)
    if not sel.select(timeout=60):
        raise RuntimeError("the reference server did not say its port within 60 s")
    line = server.stdout.readline()
    if not line.startswith("PORT"):
        raise RuntimeError(f"reference server did not start: {line!r}")
    return f"127.0.0.1:{int(line.split()[1])}"


class Wheel(unittest.TestCase):
    def test_platform_wheel_named_by_the_project_version(self):
        plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        self.assertEqual(os.path.basename(WHEEL), f"bentogrpc-{VERSION}-py3-none-{plat}.whl")
        with zipfile.ZipFile(WHEEL) as z:
            meta = z.read(f"bentogrpc-{VERSION}.dist-info/WHEEL").decode()
            self.assertIn("Root-Is-Purelib: false", meta)
            self.assertIn(f"Tag: py3-none-{plat}", meta)
            self.assertIn(f"\nVersion: {VERSION}\n",
                          z.read(f"bentogrpc-{VERSION}.dist-info/METADATA").decode())
            self.assertIn(f'__version__ = "{VERSION}"', z.read("bentogrpc/_version.py").decode())

    def test_wheel_carries_the_library(self):
        with zipfile.ZipFile(WHEEL) as z:
            names = z.namelist()
        self.assertIn("bentogrpc/libbentogrpc.so", names)
        self.assertEqual([n for n in names if "libbentogrpc" in n], ["bentogrpc/libbentogrpc.so"])
        self.assertTrue(os.path.isfile(os.path.join(VENV_LIB, "libbentogrpc.so")))

    def test_library_needs_only_the_system_grpc_core_runtime(self):
        lib = os.path.join(VENV_LIB, "libbentogrpc.so")
        dyn = run(["readelf", "-d", lib], timeout=30).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", dyn)
        self.assertTrue(needed)
        self.assertEqual([n for n in needed if not ALLOWED_NEEDED.match(n)], [], needed)
        for required in ("libgrpc.so", "libprotobuf-c.so", "libjansson.so", "libcrypto.so"):
            self.assertTrue(any(n.startswith(required) for n in needed), (required, needed))
        self.assertNotRegex(dyn, r"\((RPATH|RUNPATH)\)")  # nothing of the build machine's
        self.assertRegex(dyn, r"\(SONAME\)\s+Library soname: \[libbentogrpc\.so\.[0-9]+\]")
        # every dependency resolves on the system's path, to a file Debian's packages installed
        ldd = run(["ldd", lib], timeout=30, env=clean_env()).stdout
        self.assertNotIn("not found", ldd)
        for name in needed:
            path = re.search(rf"^\s*{re.escape(name)} => (\S+)", ldd, re.M)
            if name.startswith("ld-linux"):
                continue
            self.assertIsNotNone(path, f"{name} not resolved by ldd:\n{ldd}")
            self.assertFalse(path.group(1).startswith((TMP, SRC)), path.group(1))
            if shutil.which("dpkg"):
                owner = subprocess.run(["dpkg", "-S", name], capture_output=True, text=True,
                                       timeout=30)
                self.assertEqual(owner.returncode, 0, f"no Debian package ships {name}")


CLIENT = textwrap.dedent("""\
    import os, sys
    import numpy as np
    import bentogrpc
    src = sys.argv[1]
    assert not any(p.startswith(src) for p in sys.path if p), sys.path
    with bentogrpc.Client.from_url(sys.argv[2], timeout=30) as c:
        x = np.array([[5.9, 3.0, 5.1, 1.8], [1, 2, 3, 4]], dtype=np.float32)
        y = c.predict(x)
        np.testing.assert_allclose(y, x.sum(axis=1), rtol=1e-6)
        print("predict", y.dtype, y.tolist())
        print("health", c.health())
    from bentogrpc import _lib
    print("version", bentogrpc.__version__, _lib.load().bg_version().decode())
    print("library_path", bentogrpc.library_path())
    with open("/proc/self/maps") as m:
        mapped = sorted({l.split(maxsplit=5)[-1].strip() for l in m if "libbentogrpc" in l})
    print("mapped", *mapped)
    fast = _lib.fastcall
    print("fastcall", fast.__file__ if fast is not None else None)
    if fast is not None:  # the common call goes through it: its owner under the array
        with bentogrpc.Client.from_url(sys.argv[2], timeout=30) as c:
            ys = [c.predict(np.ones((1, 4), dtype=np.float32)) for _ in range(2)]
        print("fastcall_owner", type(ys[1].base).__module__, type(ys[1].base).__name__)
    """)


class FromAFreshVenv(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.url = start_server()
        cls.script = os.path.join(TMP, "client.py")
        with open(cls.script, "w", encoding="utf-8") as f:
            f.write(CLIENT)

    def client(self, **env):
        r = run([VPY, self.script, SRC, self.url], timeout=120, cwd=TMP, env=clean_env(**env))
        return dict(line.split(" ", 1) for line in r.stdout.splitlines())

    def test_predict_with_the_wheels_own_library(self):
        out = self.client()
        self.assertEqual(out["predict"], "float32 [15.800000190734863, 10.0]")
        self.assertEqual(out["health"], "SERVING")
        self.assertEqual(out["version"], f"{VERSION} {VERSION}")
        own = os.path.realpath(os.path.join(VENV_LIB, "libbentogrpc.so"))
        self.assertEqual(out["library_path"], own)
        self.assertEqual(out["mapped"], own)  # and no other libbentogrpc in the process

    def test_wheel_carries_and_uses_the_extension(self):
        """The wheel's _fastcall, built for the Python that built the wheel (the same here),
        is imported from the package and makes the call; BENTOGRPC_NO_EXTENSION=1 turns it
        off."""
        name = "bentogrpc/_fastcall" + sysconfig.get_config_var("EXT_SUFFIX")
        with zipfile.ZipFile(WHEEL) as z:
            self.assertIn(name, z.namelist())
        out = self.client()
        self.assertEqual(out["fastcall"], os.path.join(VENV_LIB, os.path.basename(name)))
        self.assertEqual(out["fastcall_owner"], "bentogrpc._fastcall Value")
        out = self.client(BENTOGRPC_NO_EXTENSION="1")
        self.assertEqual(out["fastcall"], "None")
        self.assertEqual(out["predict"], "float32 [15.800000190734863, 10.0]")

    def test_bundled_library_before_the_loaders_search_path(self):
        # a libbentogrpc.so.0 on LD_LIBRARY_PATH (as an installed one would be) is not taken
        other = os.path.join(TMP, "elsewhere")
        os.makedirs(other, exist_ok=True)
        shutil.copy(os.path.join(VENV_LIB, "libbentogrpc.so"),
                    os.path.join(other, "libbentogrpc.so.0"))
        out = self.client(LD_LIBRARY_PATH=other)
        self.assertEqual(out["library_path"],
                         os.path.realpath(os.path.join(VENV_LIB, "libbentogrpc.so")))

    def test_bentogrpc_library_comes_first_when_set(self):
        other = os.path.join(TMP, "chosen")
        os.makedirs(other, exist_ok=True)
        chosen = os.path.join(other, "libbentogrpc.so")
        shutil.copy(os.path.join(VENV_LIB, "libbentogrpc.so"), chosen)
        out = self.client(BENTOGRPC_LIBRARY=chosen)
        self.assertEqual(out["library_path"], os.path.realpath(chosen))
        self.assertEqual(out["mapped"], os.path.realpath(chosen))


if __name__ == "__main__":
    unittest.main(verbosity=2)
