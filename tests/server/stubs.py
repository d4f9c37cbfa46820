"""Compile the repository's .proto files with protoc at start-up and load the _pb2 modules.

No generated code is checked in: the server always speaks exactly what proto/ declares.
Modules are loaded by file path because a generated top-level ``grpc/`` directory would
otherwise clash with the real ``grpc`` package on sys.path.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import types

PROTO_FILES = {
    "v1": "bentoml/grpc/v1/service.proto",
    "v1alpha1": "bentoml/grpc/v1alpha1/service.proto",
    "health": "grpc/health/v1/health.proto",
}

DEFAULT_PROTO_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "proto"))


class Stubs(types.SimpleNamespace):
    """Holds the loaded modules: ``v1``, ``v1alpha1`` and ``health``."""

    def bento(self, version: str) -> types.ModuleType:
        return getattr(self, version)


def _load_module(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load(proto_dir: str = DEFAULT_PROTO_DIR) -> Stubs:
    """Run protoc into a temporary directory and import the three generated modules."""
    with tempfile.TemporaryDirectory(prefix="bentogrpc-stubs-") as out:
        cmd = ["protoc", "-I", proto_dir, "-I", "/usr/include", f"--python_out={out}",
               *PROTO_FILES.values()]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"protoc failed ({' '.join(cmd)}):\n{proc.stderr}")
        modules = {}
        for key, rel in PROTO_FILES.items():
            py = os.path.join(out, rel[: -len(".proto")] + "_pb2.py")
            modules[key] = _load_module(f"_bentogrpc_{key}_pb2", py)
    return Stubs(**modules)
