"""The package's version: the repository's, set once in CMake's project(bentogrpc VERSION ...).

In the source tree this module reads it from the repository's CMakeLists.txt; a built package
(a wheel, or pip install) carries a copy of this module with the number written in by setup.py,
since the installed package has no CMakeLists.txt beside it. A copy of this module installed
some other way (e.g. by a distribution package) takes the version from the package's metadata
(its .dist-info), which is written from the same project() version.
"""
import os
import re

_PROJECT = re.compile(r"^\s*project\(\s*bentogrpc\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)", re.M)


def cmake_project_version(source_dir: str) -> str:
    """x.y.z from SOURCE_DIR/CMakeLists.txt's project(bentogrpc VERSION x.y.z)."""
    path = os.path.join(source_dir, "CMakeLists.txt")
    with open(path, encoding="utf-8") as f:
        m = _PROJECT.search(f.read())
    if not m:
        raise RuntimeError(f"{path} has no project(bentogrpc VERSION x.y.z)")
    return m.group(1)


def _version() -> str:
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                        os.pardir)
    try:  # bindings/python/bentogrpc in the repository
        return cmake_project_version(root)
    except (OSError, RuntimeError):
        pass
    try:  # installed with metadata but without setup.py's copy of this module
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("bentogrpc")
        except PackageNotFoundError:
            pass
    except ImportError:
        pass
    return "0+unknown"


__version__ = _version()
