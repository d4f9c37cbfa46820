"""The bentogrpc package's build: a wheel that carries its own libbentogrpc.so.

`pip wheel bindings/python` (or `pip install bindings/python`) runs build_py below, which
configures and builds the library target of the repository's CMake project into a temporary
directory (Release, no tests or examples) and copies the shared library into the package, next
to _lib.py, where the package looks for it first (after BENTOGRPC_LIBRARY). The wheel is then a
platform wheel (py3-none-linux_x86_64: the library is machine code, the Python is any Python 3)
that needs only the system's gRPC Core runtime (libgrpc, libgpr, protobuf-c, jansson, libcrypto).
With the same CMake run it builds the _fastcall extension (cmake/PythonExtension.cmake; README
"The _fastcall extension") for the Python running setup.py, when its development headers
(Debian: python3-dev) and numpy's are there, and copies it next to the library; without them
the wheel has no extension and the package calls through ctypes alone. The extension's file
name (_fastcall.cpython-311-x86_64-linux-gnu.so) lets only that CPython import it: any other
Python 3 imports the package as before and falls back to ctypes, so the tag stays py3-none.

Environment:
  BENTOGRPC_BUILD_LIBRARY=0   no library in the package (a pure py3-none-any wheel that finds
                              the library through BENTOGRPC_LIBRARY or the system's search path)
  BENTOGRPC_SOURCE_DIR=DIR    the repository (default: two directories up from this file)
  BENTOGRPC_CMAKE_ARGS="..."  extra arguments for CMake's configure step
  CMAKE_BUILD_PARALLEL_LEVEL  parallel build jobs (default: one per CPU)

The version is the repository's (CMake's project(bentogrpc VERSION ...)); bentogrpc/_version.py
reads it, and build_py writes the number into the built copy of that module.
"""
import glob
import os
import runpy
import shlex
import shutil
import subprocess
import sys
import tempfile

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py as _build_py

try:  # setuptools >= 70.1 has its own; before, the wheel package's (Debian 12: python3-wheel)
    from setuptools.command.bdist_wheel import bdist_wheel as _bdist_wheel
except ImportError:
    from wheel.bdist_wheel import bdist_wheel as _bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
_version = runpy.run_path(os.path.join(HERE, "bentogrpc", "_version.py"))


def source_dir() -> str:
    """The repository whose CMake project builds libbentogrpc."""
    d = os.path.abspath(os.environ.get("BENTOGRPC_SOURCE_DIR") or
                        os.path.join(HERE, os.pardir, os.pardir))
    if not os.path.isfile(os.path.join(d, "CMakeLists.txt")):
        raise SystemExit(f"bentogrpc: {d} holds no CMakeLists.txt: build the package from the "
                         "repository's bindings/python (or set BENTOGRPC_SOURCE_DIR to the "
                         "repository), or set BENTOGRPC_BUILD_LIBRARY=0 for a package without "
                         "the library")
    return d


def bundle_library() -> bool:
    """Whether the package carries the library (BENTOGRPC_BUILD_LIBRARY, on by default)."""
    return os.environ.get("BENTOGRPC_BUILD_LIBRARY", "1").lower() not in ("0", "no", "off",
                                                                          "false")


VERSION = _version["cmake_project_version"](source_dir())


class build_py(_build_py):
    """The Python files, the version written into _version.py, and libbentogrpc.so built by
    CMake from the repository's sources."""

    def run(self):
        pkg = os.path.join(self.build_lib, "bentogrpc")
        # a library left in the build directory by an earlier run must not slip into this one
        for stale in glob.glob(os.path.join(pkg, "libbentogrpc.so*")) + \
                glob.glob(os.path.join(pkg, "_fastcall*.so")):
            os.remove(stale)
        super().run()
        with open(os.path.join(pkg, "_version.py"), "w", encoding="utf-8") as f:
            f.write('"""The package\'s version, written by setup.py from the repository\'s '
                    'CMake project()."""\n'
                    f'__version__ = "{VERSION}"\n')
        if bundle_library() and not getattr(self, "editable_mode", False):
            self.build_library(pkg)

    def build_library(self, pkg: str) -> None:
        self.built_files = []
        src = source_dir()
        cmake = shutil.which(os.environ.get("CMAKE", "cmake"))
        if not cmake:
            raise SystemExit("bentogrpc: building the package's libbentogrpc.so needs cmake "
                             "and the library's build dependencies (scripts/install-deps.sh); "
                             "or set BENTOGRPC_BUILD_LIBRARY=0 for a package without it")
        with tempfile.TemporaryDirectory(prefix="bentogrpc-wheel-") as build:
            # --as-needed: the library records only the shared libraries it calls (gRPC's
            # pkg-config line names many more); no RPATH: it finds them on the system's path.
            ldflags = " ".join(filter(None, ["-Wl,--as-needed", os.environ.get("LDFLAGS")]))
            configure = [cmake, "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                         "-DBG_BUILD_TESTS=OFF", "-DBG_BUILD_EXAMPLES=OFF",
                         "-DCMAKE_SKIP_RPATH=ON", f"-DCMAKE_SHARED_LINKER_FLAGS={ldflags}",
                         f"-DPython3_EXECUTABLE={sys.executable}",
                         *shlex.split(os.environ.get("BENTOGRPC_CMAKE_ARGS", ""))]
            self.announce(" ".join(shlex.quote(c) for c in configure), level=2)
            subprocess.run(configure, check=True)
            targets = ["bentogrpc"]
            # configured only where the Python headers and numpy's are (PythonExtension.cmake)
            if os.path.isdir(os.path.join(build, "CMakeFiles", "bentogrpc_fastcall.dir")):
                targets.append("bentogrpc_fastcall")
            compile_ = [cmake, "--build", build, "--target", *targets]
            if not os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL"):
                compile_ += ["--parallel", str(os.cpu_count() or 1)]
            self.announce(" ".join(shlex.quote(c) for c in compile_), level=2)
            subprocess.run(compile_, check=True)
            # (file in the build directory, name in the package): named by the file's own
            # name, never by its directory's (TMPDIR may name the library, as a checkout does)
            built = [(os.path.realpath(os.path.join(build, "libbentogrpc.so")), "libbentogrpc.so")]
            built += [(path, os.path.basename(path))
                      for path in glob.glob(os.path.join(build, "_fastcall*.so"))]
            for path, name in built:
                target = os.path.join(pkg, name)
                shutil.copyfile(path, target)
                os.chmod(target, 0o755)
                self.built_files.append(target)

    built_files: tuple = ()  # what build_library copied into the package

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if bundle_library() and not getattr(self, "editable_mode", False):
            outputs.append(os.path.join(self.build_lib, "bentogrpc", "libbentogrpc.so"))
            outputs += [f for f in self.built_files if not f.endswith("libbentogrpc.so")]
        return outputs


class BinaryDistribution(Distribution):
    """A package carrying the library is not pure: the wheel's files go to platlib (the wheel's
    root, Root-Is-Purelib: false), as for a package with extension modules."""

    def has_ext_modules(self):
        return bundle_library() or super().has_ext_modules()


class bdist_wheel(_bdist_wheel):
    """The tag of a wheel carrying the library: py3-none-PLATFORM (ctypes loads the library,
    so any Python 3 will do, but only on this platform) instead of the interpreter's cpXY-cpXY
    that a package with extension modules gets."""

    def get_tag(self):
        python, abi, plat = super().get_tag()
        if bundle_library():
            return "py3", "none", plat
        return python, abi, plat


setup(version=VERSION, distclass=BinaryDistribution,
      cmdclass={"build_py": build_py, "bdist_wheel": bdist_wheel})
