"""The ctypes bindings against the reference server (run with /usr/bin/python3 by ctest).
usage: test_python.py LIBBENTOGRPC_SO SOURCE_DIR"""
import os
import subprocess
import sys

import numpy as np

lib_path, src = sys.argv[1], sys.argv[2]
os.environ["BENTOGRPC_LIBRARY"] = lib_path
sys.path.insert(0, os.path.join(src, "bindings", "python"))
import bentogrpc  # noqa: E402

server = subprocess.Popen(["/usr/bin/python3", os.path.join(src, "tests/server/reference_server.py")],
                          stdout=subprocess.PIPE, text=True)
passed = failed = 0


def check(name, condition):
    global passed, failed
    print(("ok   " if condition else "FAIL ") + name)
    passed, failed = passed + bool(condition), failed + (not condition)


try:
    port = int(server.stdout.readline().split()[1])
    with bentogrpc.Client(f"127.0.0.1:{port}") as client:
        check("apis listed", "predict" in client.apis() and "bonjour" in client.apis())
        check("health", client.health() == "SERVING")
        x = np.array([[5.9, 3.0, 5.1, 1.8], [1, 2, 3, 4]], dtype=np.float32)
        y = client.call("predict", x)
        check("predict", y.dtype == np.float32 and np.allclose(y, x.sum(axis=1)))
        for dtype in (np.float64, np.int32, np.int64, np.uint32, np.uint64, np.bool_):
            a = (np.arange(6).reshape(2, 3) % 2).astype(dtype)
            b = client.call("echo_ndarray", a)
            check(f"echo {np.dtype(dtype)}", b.dtype == a.dtype and np.array_equal(a, b))
        big = np.random.default_rng(1).random(1 << 20)
        check("echo 8 MB float64", np.array_equal(client.call("echo_ndarray", big), big))
        try:
            client.call("no_such_api", x)
            check("unknown api raises", False)
        except bentogrpc.BentoGrpcError as e:
            check("unknown api raises", e.status == "BG_ERR_UNKNOWN_API" and "predict" in e.message)
        try:
            client.call("echo_ndarray_enforce_shape", np.ones(4))
            check("validation raises", False)
        except bentogrpc.BentoGrpcError as e:
            check("validation raises", e.status == "BG_ERR_INVALID_ARGUMENT" and "(2, 2)" in e.message)
    try:
        bentogrpc.Client("localhost")
        check("bad url raises", False)
    except bentogrpc.BentoGrpcError as e:
        check("bad url raises", "no port" in e.message)
finally:
    server.terminate()
    server.wait()
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
