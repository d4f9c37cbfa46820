#!/usr/bin/python3
"""The hostile suite: lying servers and hostile arguments against the library and the CLI.

  run_hostile.py --driver PATH/hostile_driver --cli PATH/bentogrpc [unittest args, e.g. -k NAME]

Each test is one named scenario: it starts the server it needs (hostile_server.py with a
scenario, raw_server.py, or a TLS-only hostile server) on a free 127.0.0.1 port, runs
hostile_driver (one library step, one JSON line) and/or the CLI with a time bound, asserts the
EXACT outcome (code, gRPC status, message substring, exit code, nothing on stdout where
nothing is expected, what the server received) and kills what it started by PID.

Scenarios in LibraryDefects and CliDefects each cover one defect of README.md's numbered list
("Defect N" in their docstrings says what was wrong); the others
pin down classes that already held (garbage, truncated and lying protobuf, 2 GiB length
prefixes, 5000-deep nesting, 100k APIs, overflowing shapes, bad dtypes, non-gRPC peers,
servers killed mid-call). Run one with `-k NAME` (a substring of the test name).
Under ASan+UBSan (the build-asan ctest environment) a sanitizer report makes the program
exit non-zero, which every scenario checks.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
PYTHON = "/usr/bin/python3"  # Debian's, with grpcio and numpy
DRIVER = CLI = ""
TIME_BOUND = 60  # seconds any one program may run: a hang fails the scenario, it never blocks
TMP = ""
CERTS = ""

# CLI exit codes (tools/bentogrpc.c --help)
EXIT_OK, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_DEADLINE, EXIT_SERVER, EXIT_OTHER = 0, 2, 3, 4, 5, 6


class Process:
    """A server started from a Python script that prints `PORT <n>`; killed by PID."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, script), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.kill()
            raise RuntimeError(f"{script} {' '.join(args)} did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"127.0.0.1:{self.port}"

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc.stdout.close()


class Hostile(Process):
    """hostile_server.py running one scenario; `calls()` reads what the client sent."""

    def __init__(self, scenario: str, *args: str):
        self.log = tempfile.mktemp(prefix=f"{scenario}.", suffix=".log", dir=TMP)
        super().__init__("hostile_server.py", "--scenario", scenario, "--log", self.log, *args)

    def records(self) -> list:
        """Every RPC the server received, in order (Call and ServiceMetadata)."""
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f]

    def calls(self) -> list:
        return [r for r in self.records() if r["rpc"] == "Call"]

    def wait_calls(self, n: int) -> list:
        deadline = time.monotonic() + TIME_BOUND
        while len(self.calls()) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.calls()


def run(argv, timeout=TIME_BOUND, tty=False):
    """Runs a program; returns (exit code, stdout bytes, stderr bytes). With tty, stdout is a
    pseudo-terminal (what a user's screen gets)."""
    if not tty:
        try:
            p = subprocess.run(argv, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"{argv} did not finish within {timeout} s (hang)") from exc
        return p.returncode, p.stdout, p.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{argv} did not finish within {timeout} s (hang)") from exc
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.returncode, out.replace(b"\r\n", b"\n"), err


def drive(*args, timeout=TIME_BOUND) -> dict:
    """hostile_driver ARGS: its JSON line, with the message as bytes in r["msg"]."""
    rc, out, err = run([DRIVER, *args], timeout=timeout)
    if rc != 0 or not out:
        raise AssertionError(f"hostile_driver {args} exited {rc}:\n{err.decode(errors='replace')}")
    result = json.loads(out)
    result["msg"] = bytes.fromhex(result.pop("msg_hex"))
    result["stderr"] = err
    return result


def cli(*args, tty=False, timeout=TIME_BOUND):
    return run([CLI, *args], timeout=timeout, tty=tty)


class Case(unittest.TestCase):
    maxDiff = None

    def server(self, scenario: str, *args: str) -> Hostile:
        s = Hostile(scenario, *args)
        self.addCleanup(s.kill)
        return s

    def process(self, script: str, *args: str) -> Process:
        p = Process(script, *args)
        self.addCleanup(p.kill)
        return p

    def assertResult(self, r: dict, code: str, *substrings: bytes | str, step: str = "call",
                     grpc: int = 0, core_log: bool = False):
        """The driver reported `code` at `step` with each substring in its message. With
        core_log, gRPC Core's own log lines on stderr (what it says of an HTTP/2 reply it
        refuses, or of a failed TLS handshake) are allowed; anything else there still fails."""
        where = f"{r['step']}: {r['code']} ({r['grpc']}): {r['msg']!r}"
        self.assertEqual((r["step"], r["code"]), (step, code), where)
        if code != "BG_OK":
            self.assertEqual(r["grpc"], grpc, where)
            self.assertIsNone(r["out"], where)
        for s in substrings:
            self.assertIn(s.encode() if isinstance(s, str) else s, r["msg"], where)
        stderr = r["stderr"]
        if core_log:
            stderr = re.sub(rb"(?m)^[EWID]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] .*\n", b"", stderr)
        self.assertEqual(stderr, b"", "the library wrote to stderr (or a sanitizer did)")

    def assertCli(self, result, code: int, *in_stderr: str, stdout_empty: bool | None = None):
        rc, out, err = result
        text = f"exit {rc}\nstdout: {out[:2000]!r}\nstderr: {err[:2000]!r}"
        self.assertEqual(rc, code, text)
        for s in in_stderr:
            self.assertIn(s.encode(), err, text)
        if stdout_empty:
            self.assertEqual(out, b"", text)
        self.assertNotIn(b"Sanitizer", err, text)
        self.assertNotIn(b"runtime error", err, text)


# ---------------------------------------------------------------- classes that already hold

class ReplyDecoding(Case):
    """Call replies that are not what they claim: every one is BG_ERR_PROTOCOL, nothing leaks."""

    NOT_PROTOBUF = "is not a valid protobuf message of that type"

    def reply(self, scenario, api="ndarray", kind="ndarray", value="1"):
        s = self.server(scenario)
        return drive(s.url, "call", api, kind, value)

    def test_reply_garbage(self):
        self.assertResult(self.reply("reply_garbage"), "BG_ERR_PROTOCOL", self.NOT_PROTOBUF,
                          "(512 bytes)")

    def test_reply_truncated(self):
        self.assertResult(self.reply("reply_truncated"), "BG_ERR_PROTOCOL", self.NOT_PROTOBUF)

    def test_reply_lying_length(self):
        self.assertResult(self.reply("reply_lying_length"), "BG_ERR_PROTOCOL", self.NOT_PROTOBUF)

    def test_reply_2gib_length_prefix(self):
        self.assertResult(self.reply("reply_2gib_length"), "BG_ERR_PROTOCOL", self.NOT_PROTOBUF)

    def test_reply_2gib_values_prefix(self):
        self.assertResult(self.reply("reply_2gib_inner"), "BG_ERR_PROTOCOL",
                          "a values field is cut short")

    def test_reply_5000_deep_json(self):
        self.assertResult(self.reply("reply_deep_json", "json", "json", "1"), "BG_ERR_PROTOCOL",
                          "nests messages deeper than 100 levels")

    def test_reply_shape_product_overflows_int64(self):
        self.assertResult(self.reply("reply_shape_overflow"), "BG_ERR_PROTOCOL",
                          "the shape's element count overflows")

    def test_reply_negative_dimension(self):
        self.assertResult(self.reply("reply_negative_shape"), "BG_ERR_PROTOCOL",
                          "dimension 0 is -1")

    def test_reply_unknown_dtype(self):
        self.assertResult(self.reply("reply_bad_dtype"), "BG_ERR_PROTOCOL", "unknown dtype 99")

    def test_reply_count_mismatch(self):
        self.assertResult(self.reply("reply_count_mismatch"), "BG_ERR_PROTOCOL",
                          "the shape holds 3 elements but 2 were given")

    def test_reply_without_content(self):
        self.assertResult(self.reply("reply_empty"), "BG_ERR_PROTOCOL", "has no content")

    def test_reply_ok_control(self):
        """The hostile server's honest echo works: the scenarios above fail for their lie."""
        r = self.reply("echo", value="1,2,3")
        self.assertResult(r, "BG_OK")
        self.assertEqual(r["out"], {"kind": "ndarray", "dtype": "float64", "count": 3,
                                    "shape": [3]})


class HealthWatch(Case):
    """Health/Watch streams whose status is not a HealthCheckResponse: the watch, sync or async,
    ends at once with BG_ERR_PROTOCOL after the statuses that were good (the async one stops
    the stream itself: the server keeps it open)."""

    NOT_PROTOBUF = "HealthCheckResponse: the server's reply (512 bytes) is not a valid protobuf"

    def watch(self, scenario: str, *options: str, timeout_ms: int = 10000) -> dict:
        s = self.server(scenario)
        return drive(*options, s.url, "watch", str(timeout_ms))

    def assertWatch(self, r: dict, code: str, statuses: list, *substrings: str, grpc: int = 0):
        where = f"{r['step']}: {r['code']} ({r['grpc']}): {r['msg']!r} after {r['out']}"
        self.assertEqual((r["step"], r["code"], r["grpc"]), ("watch", code, grpc), where)
        self.assertEqual(r["out"], {"statuses": statuses}, where)
        for s in substrings:
            self.assertIn(s.encode(), r["msg"], where)
        self.assertLess(r["ms"], 5000, where)  # not the 10 s watch bound
        self.assertEqual(r["stderr"], b"", "the library wrote to stderr (or a sanitizer did)")

    def test_garbage_status(self):
        self.assertWatch(self.watch("watch_garbage"), "BG_ERR_PROTOCOL", [],
                         "health watch of 'bentoml.grpc.v1.BentoService'", self.NOT_PROTOBUF)

    def test_garbage_status_async(self):
        self.assertWatch(self.watch("watch_garbage", "--async", "1"), "BG_ERR_PROTOCOL",
                         [], "health watch of 'bentoml.grpc.v1.BentoService'", self.NOT_PROTOBUF)

    def test_garbage_after_serving(self):
        self.assertWatch(self.watch("watch_serving_then_garbage"), "BG_ERR_PROTOCOL", [1],
                         self.NOT_PROTOBUF)

    def test_garbage_after_serving_async(self):
        self.assertWatch(self.watch("watch_serving_then_garbage", "--async", "1"),
                         "BG_ERR_PROTOCOL", [1], self.NOT_PROTOBUF)

    def test_serving_control(self):
        """The honest stream: SERVING, then nothing until the watch's own 500 ms bound."""
        for options in ((), ("--async", "1")):
            self.assertWatch(self.watch("watch_serving", *options, timeout_ms=500),
                             "BG_ERR_TIMEOUT", [1], "ended after its 500 ms timeout", grpc=4)


class Metadata(Case):
    """ServiceMetadata replies that lie: refused at connect, or (100k APIs) handled."""

    def connect(self, scenario):
        return drive(self.server(scenario).url, "connect")

    def test_metadata_garbage(self):
        self.assertResult(self.connect("meta_garbage"), "BG_ERR_PROTOCOL", "ServiceMetadata reply",
                          "is not a valid protobuf message", step="connect")

    def test_metadata_truncated(self):
        self.assertResult(self.connect("meta_truncated"), "BG_ERR_PROTOCOL",
                          "ServiceMetadata reply", "is not a valid protobuf message",
                          step="connect")

    def test_metadata_5000_deep_attributes(self):
        self.assertResult(self.connect("meta_deep_attributes"), "BG_ERR_PROTOCOL",
                          "nests messages deeper than 100 levels", step="connect")

    def test_metadata_100k_apis(self):
        r = self.connect("meta_100k_apis")
        self.assertResult(r, "BG_OK", step="connect")
        self.assertEqual(r["out"], {"apis": 100007})


class NotGrpc(Case):
    """Peers that do not speak gRPC: a clear, prompt error at connect (discovery 3 s)."""

    def connect(self, mode):
        p = self.process("raw_server.py", "--mode", mode)
        return drive("--discovery-ms", "3000", p.url, "connect")

    DISCOVERY = "discovering the APIs (ServiceMetadata) at 127.0.0.1:"

    def test_http1_server(self):
        self.assertResult(self.connect("http1"), "BG_ERR_UNAVAILABLE", self.DISCOVERY,
                          step="connect", grpc=14)

    def test_garbage_server(self):
        self.assertResult(self.connect("garbage"), "BG_ERR_UNAVAILABLE", self.DISCOVERY,
                          step="connect", grpc=14)

    def test_silent_server(self):
        self.assertResult(self.connect("silent"), "BG_ERR_DEADLINE", self.DISCOVERY,
                          "no answer within the 3000 ms deadline", step="connect", grpc=4)

    def test_reset_server(self):
        self.assertResult(self.connect("reset"), "BG_ERR_UNAVAILABLE", self.DISCOVERY,
                          step="connect", grpc=14)


class Killed(Case):
    """The server is SIGKILLed while calls are in flight: each call ends, each callback once."""

    def test_killed_mid_call_sync(self):
        s = self.server("slow")
        proc = subprocess.Popen([DRIVER, s.url, "call", "ndarray", "ndarray", "1"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.assertEqual(len(s.wait_calls(1)), 1)
        s.kill()
        out, err = proc.communicate(timeout=TIME_BOUND)
        r = json.loads(out)
        r["msg"] = bytes.fromhex(r.pop("msg_hex"))
        r["stderr"] = err
        self.assertResult(r, "BG_ERR_UNAVAILABLE", grpc=14)

    def test_killed_mid_call_async(self):
        s = self.server("slow")
        proc = subprocess.Popen([DRIVER, "--async", "16", s.url, "call", "ndarray", "ndarray",
                                 "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.assertEqual(len(s.wait_calls(16)), 16)
        s.kill()
        out, err = proc.communicate(timeout=TIME_BOUND)
        r = json.loads(out)
        r["msg"] = bytes.fromhex(r.pop("msg_hex"))
        self.assertEqual(err, b"")
        self.assertEqual((r["step"], r["code"]), ("async", "BG_ERR_UNAVAILABLE"), r)
        self.assertEqual(r["out"], {"started": 16, "callbacks": 16, "min_per_call": 1,
                                    "max_per_call": 1, "codes": {"BG_ERR_UNAVAILABLE": 16}})


class RawLoad(Case):
    """A load run with --raw (or v1alpha1) has no discovery, which is what finds a dead server
    for the run through descriptors: it used to start anyway and report every call as failed.
    It now waits (at most --discovery-timeout-ms) for the connection, and fails before the run
    starts exactly as the discovering run does: same exit code, same JSON error document (the
    status and gRPC status too), an error naming the connection, no report."""

    TIMEOUT_MS = "1500"

    def load(self, url, *mode, fmt=("--format", "json"), cmd="bench"):
        return cli(cmd, url, "text", "--text", "hi", "--count", "3", "--concurrency", "2",
                   "--discovery-timeout-ms", self.TIMEOUT_MS, *fmt, *mode)

    def assertFailsLikeDiscovery(self, url, status, *words):
        rc = {"BG_ERR_UNAVAILABLE": EXIT_UNAVAILABLE, "BG_ERR_DEADLINE": EXIT_DEADLINE}[status]
        result = self.load(url)
        self.assertCli(result, rc)
        discovering = json.loads(result[1])["error"]
        self.assertEqual(discovering["status"], status, result)
        for mode in (("--raw",), ("--protocol-version", "v1alpha1")):
            with self.subTest(mode=mode):
                raw_rc, raw_out, raw_err = self.load(url, *mode)
                self.assertCli((raw_rc, raw_out, raw_err), rc, f"connecting to the server at {url}", *words)
                raw = json.loads(raw_out)
                self.assertEqual(sorted(raw), ["error"], raw_out)  # no report
                self.assertEqual(sorted(raw["error"]), sorted(discovering), raw_out)
                for key in ("status", "grpc_status", "grpc_status_name", "exit_code"):
                    self.assertEqual(raw["error"][key], discovering[key], raw_out)
                self.assertIn(f"connecting to the server at {url}", raw["error"]["message"])
                for cmd in ("bench", "call"):  # text: the error on stderr, nothing on stdout
                    self.assertCli(self.load(url, *mode, fmt=(), cmd=cmd), rc,
                                   f"bentogrpc: connecting to the server at {url}", *words, stdout_empty=True)

    def test_raw_load_closed_port(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"127.0.0.1:{sock.getsockname()[1]}"
        sock.close()
        self.assertFailsLikeDiscovery(url, "BG_ERR_UNAVAILABLE", "failed: UNAVAILABLE",
                                      "Connection refused", "is the server running")

    def test_raw_load_http1_peer(self):
        p = self.process("raw_server.py", "--mode", "http1")
        self.assertFailsLikeDiscovery(p.url, "BG_ERR_UNAVAILABLE", "http1.x server")

    def test_raw_load_reset_peer(self):
        p = self.process("raw_server.py", "--mode", "reset")
        # gRPC sees 'Connection reset by peer' or 'Socket closed' (then the TLS advice), as
        # the discovering run does: which one depends on timing
        self.assertFailsLikeDiscovery(p.url, "BG_ERR_UNAVAILABLE", "UNAVAILABLE")

    def test_raw_load_silent_peer(self):
        p = self.process("raw_server.py", "--mode", "silent")
        self.assertFailsLikeDiscovery(p.url, "BG_ERR_DEADLINE", "DEADLINE_EXCEEDED",
                                      f"no connection within {self.TIMEOUT_MS} ms")

    def test_raw_load_plaintext_at_tls_port(self):
        """The TLS advice survives: the words come from the library's own error."""
        s = self.server("echo", "--tls-cert", f"{CERTS}/server.pem", "--tls-key",
                        f"{CERTS}/server.key")
        self.assertFailsLikeDiscovery(s.url, "BG_ERR_UNAVAILABLE", "grpcs://")

    def test_raw_load_reachable_peer_runs(self):
        """Control: a peer that answers (without Health or ServiceMetadata) runs as before."""
        p = self.process("raw_server.py", "--mode", "trailer_escape")
        rc, out, err = self.load(p.url, "--raw")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertEqual((json.loads(out)["calls"], json.loads(out)["ok"]), (3, 3), out)


class WrongPeer(Case):
    """What answers where no gRPC server does is named, instead of asking whether the server
    runs: an HTTP/1.x server (BentoML's HTTP port told apart by its health endpoints), an
    HTTP/2 web server or proxy's HTTP status, a name that does not resolve; credentials in the
    address are refused without being shown. The library (driver) and the CLI's exit codes."""

    NOT_RUNNING = "is the server running"
    BENTOML = "this is BentoML's HTTP port, not its gRPC port"
    SERVE_GRPC = "`bentoml serve-grpc`"
    HTTP1 = "the server answered in HTTP/1.1, not gRPC"

    def http1(self, *args):
        """http1_server.py (tests/support) with a log of the requests it gets."""
        log = tempfile.mktemp(prefix="http1.", suffix=".log", dir=TMP)
        p = self.process(os.path.join("..", "support", "http1_server.py"), "--log", log, *args)
        return p, log

    @staticmethod
    def requests(log) -> list:
        if not os.path.exists(log):
            return []
        with open(log) as f:
            return f.read().splitlines()

    def assertNotRunningAdvice(self, message: bytes):
        self.assertNotIn(self.NOT_RUNNING.encode(), message)

    def test_bentoml_http_port(self):
        p, log = self.http1("--bentoml")
        r = drive("--discovery-ms", "3000", p.url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", self.BENTOML, self.SERVE_GRPC,
                          "answered in HTTP/1.1", "Failed parsing HTTP/2", step="connect",
                          grpc=14)
        self.assertNotRunningAdvice(r["msg"])
        self.assertEqual(self.requests(log), ["GET /livez", "GET /readyz", "GET /docs.json"])
        self.assertLess(r["ms"], 1500, "the look at the peer is bounded (1 s)")
        # a sync call without discovery (bg_client_open + bg_client_call_raw) says the same
        r = drive("--raw", p.url, "call", "predict", "text", "hi")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", "call 'predict'", self.BENTOML, grpc=14)

    def test_bentoml_http_port_cli(self):
        p, _ = self.http1("--bentoml")
        self.assertCli(cli("describe", p.url), EXIT_UNAVAILABLE, self.BENTOML, self.SERVE_GRPC,
                       stdout_empty=True)
        self.assertCli(cli("call", "--raw", p.url, "predict", "--text", "hi"), EXIT_UNAVAILABLE,
                       self.BENTOML, stdout_empty=True)
        self.assertCli(cli("health", p.url), EXIT_UNAVAILABLE, self.BENTOML, stdout_empty=True)
        rc, out, err = cli("describe", p.url, "--format", "json")
        self.assertEqual(rc, EXIT_UNAVAILABLE, err)
        e = json.loads(out)["error"]
        self.assertEqual((e["status"], e["grpc_status_name"], e["exit_code"]),
                         ("BG_ERR_UNAVAILABLE", "UNAVAILABLE", EXIT_UNAVAILABLE), out)
        self.assertIn(self.BENTOML, e["message"])

    def test_bentoml_http_port_with_tls(self):
        """grpcs:// to the HTTP port: the TLS handshake fails on plain text; the look says why."""
        p, log = self.http1("--bentoml")
        r = drive("--discovery-ms", "3000", f"grpcs://{p.url}", "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", self.BENTOML, "in plain text (no TLS)",
                          step="connect", grpc=14, core_log=True)
        self.assertEqual(self.requests(log), ["GET /livez", "GET /readyz", "GET /docs.json"])

    def test_plain_http1_server(self):
        """An HTTP/1.1 server without BentoML's endpoints: HTTP/1.1, not BentoML."""
        p, log = self.http1()
        r = drive("--discovery-ms", "3000", p.url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", self.HTTP1, self.SERVE_GRPC, step="connect",
                          grpc=14)
        self.assertNotIn(self.BENTOML.encode(), r["msg"])
        self.assertNotRunningAdvice(r["msg"])
        self.assertEqual(self.requests(log), ["GET /livez"])  # 404: nothing more to ask
        self.assertCli(cli("describe", p.url), EXIT_UNAVAILABLE, self.HTTP1, stdout_empty=True)

    def test_http1_reply_without_a_look(self):
        """Core's own words ("http1.x server") say HTTP/1.x even where the look learns nothing:
        this server answers gRPC's preface in HTTP/1.1 but never a request; the look gives up
        after its second, and the call still fails promptly."""
        p = self.process("raw_server.py", "--mode", "http1_stall_get")
        r = drive("--discovery-ms", "5000", p.url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", "the server answered in HTTP/1.x, not gRPC",
                          "http1.x server", step="connect", grpc=14)
        self.assertGreaterEqual(r["ms"], 1000, "the look waited for its whole budget")
        self.assertLess(r["ms"], 2000, "the look is bounded (1 s)")
        self.assertCli(cli("describe", p.url), EXIT_UNAVAILABLE, "answered in HTTP/1.x")

    def test_async_calls_do_not_look(self):
        """Async calls complete on the engine's thread: no look (it could stall other calls
        for a second); Core's words still say what they can."""
        p, log = self.http1("--bentoml")
        r = drive("--async", "4", "--raw", p.url, "call", "predict", "text", "hi")
        self.assertEqual((r["step"], r["code"], r["grpc"]), ("async", "BG_ERR_UNAVAILABLE", 14), r)
        self.assertEqual(r["out"]["codes"], {"BG_ERR_UNAVAILABLE": 4}, r)
        self.assertIn(b"a server answered, but not in HTTP/2", r["msg"])
        self.assertEqual(self.requests(log), [])

    def test_wait_until_ready_does_not_look_each_time(self):
        p, log = self.http1("--bentoml")
        self.assertCli(cli("wait", p.url, "--timeout-ms", "600", "--interval-ms", "100"),
                       EXIT_DEADLINE, "was not ready", "not in HTTP/2")
        self.assertEqual(self.requests(log), [])

    def proxy(self, status: int):
        return self.process("raw_server.py", "--mode", "http2_status", "--status", str(status))

    def test_http2_proxy_502(self):
        p = self.proxy(502)
        r = drive("--discovery-ms", "3000", p.url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE",
                          "an HTTP/2 web server or proxy answered with HTTP status 502 Bad Gateway",
                          "backend-protocol", "Received http2 header with status: 502",
                          step="connect", grpc=14, core_log=True)
        self.assertNotRunningAdvice(r["msg"])
        self.assertCli(cli("describe", p.url), EXIT_UNAVAILABLE, "HTTP status 502 Bad Gateway",
                       stdout_empty=True)
        self.assertCli(cli("call", "--raw", p.url, "predict", "--text", "hi"), EXIT_UNAVAILABLE,
                       "HTTP status 502 Bad Gateway", stdout_empty=True)

    def test_http2_proxy_503(self):
        p = self.proxy(503)
        r = drive("--discovery-ms", "3000", p.url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", "proxy answered with HTTP status 503",
                          step="connect", grpc=14, core_log=True)
        self.assertCli(cli("describe", p.url), EXIT_UNAVAILABLE, "HTTP status 503")

    def test_http2_proxy_404(self):
        """Core makes 404 UNIMPLEMENTED: something answered, so a server error (exit 5)."""
        p = self.proxy(404)
        r = drive("--discovery-ms", "3000", p.url, "connect")
        self.assertResult(r, "BG_ERR_SERVER", "proxy answered with HTTP status 404 Not Found",
                          "no route to BentoML's gRPC service", step="connect", grpc=12,
                          core_log=True)
        self.assertNotIn(b"does not implement this method", r["msg"])
        self.assertCli(cli("describe", p.url), EXIT_SERVER, "HTTP status 404 Not Found")

    def test_unresolvable_name(self):
        """Asked of the test's own DNS responder (NXDOMAIN for every other name): nothing leaves
        the machine."""
        dns = self.process(os.path.join("..", "replicas", "dns_responder.py"), "--name",
                           "known.test", "--address", "127.0.0.1")
        url = f"dns://127.0.0.1:{dns.port}/nosuchhost.invalid:3000"
        r = drive("--discovery-ms", "3000", url, "connect")
        self.assertResult(r, "BG_ERR_UNAVAILABLE", "cannot resolve host name 'nosuchhost.invalid'",
                          "Domain name not found", step="connect", grpc=14)
        self.assertNotRunningAdvice(r["msg"])
        self.assertCli(cli("describe", url), EXIT_UNAVAILABLE,
                       "cannot resolve host name 'nosuchhost.invalid'", stdout_empty=True)

    def test_tls_only_port_keeps_tls_advice(self):
        """A plaintext client at a TLS-only port: the look finds no HTTP/1.x server, so the
        TLS advice stands."""
        s = self.server("echo", "--tls-cert", f"{CERTS}/server.pem", "--tls-key",
                        f"{CERTS}/server.key")
        r = drive("--discovery-ms", "5000", s.url, "connect")
        self.assertEqual((r["step"], r["code"]), ("connect", "BG_ERR_UNAVAILABLE"), r)
        self.assertIn(b"grpcs://", r["msg"])
        self.assertNotIn(b"HTTP/1", r["msg"])
        self.assertCli(cli("describe", s.url), EXIT_UNAVAILABLE, "grpcs://")

    def test_credentials_in_address_refused_unseen(self):
        s = self.server("echo")
        for url in (f"grpc://alice:s3cr3t@{s.url}", f"alice:s3cr3t@{s.url}",
                    f"grpcs://s3cr3t@{s.url}"):
            with self.subTest(url=url):
                r = drive(url, "connect")
                self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "carries user credentials",
                                  f"<credentials>@{s.url}", "bg_call_options_set_bearer_token",
                                  step="connect")
                self.assertNotIn(b"s3cr3t", r["msg"])
                for args in (("describe", url, "-v", "--log", "debug"),
                             ("call", url, "predict", "--text", "hi", "-v", "--log", "debug"),
                             ("call", "--raw", url, "predict", "--text", "hi", "-v"),
                             ("health", url, "-v"), ("wait", url, "--timeout-ms", "300"),
                             ("bench", url, "predict", "--text", "hi", "--count", "2", "--raw"),
                             ("describe", url, "--format", "json")):
                    rc, out, err = cli(*args)
                    self.assertCli((rc, out, err), EXIT_USAGE)
                    self.assertNotIn(b"s3cr3t", out + err, args)
                    self.assertIn(b"carries user credentials", out + err, args)
                    if "json" not in args:
                        self.assertIn(b"-H 'authorization: Bearer TOKEN'", err, args)
        self.assertEqual(s.records(), [], "nothing reached the server")


# ---------------------------------------------------------------- defects of the library

class LibraryDefects(Case):
    def test_two_replies_on_unary_call(self):
        """Defect 5: a second reply message hung a call without deadline for ever."""
        s = self.server("two_replies")
        r = drive(s.url, "call", "ndarray", "ndarray", "1", timeout=15)
        self.assertResult(r, "BG_ERR_PROTOCOL", "more than one")

    def test_tls_material_then_tls_off(self):
        """Defect 6: a CA then bg_options_set_tls(false) silently connected in plaintext."""
        r = drive("--cacert", f"{CERTS}/ca.pem", "--tls", "off", "127.0.0.1:1", "connect")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "bg_options_set_tls(false)",
                          "CA certificates (bg_options_set_root_certs_", step="options")

    def test_tls_off_then_tls_material(self):
        """Defect 6, other order: TLS off, then a CA."""
        r = drive("--tls", "off", "--cacert", f"{CERTS}/ca.pem", "127.0.0.1:1", "connect")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "bg_options_set_tls(false)",
                          "CA certificates (bg_options_set_root_certs_file)", step="options")

    def test_bearer_token_refused_on_plaintext(self):
        """Defect 7: the token was sent in clear; now refused before anything is sent."""
        s = self.server("echo")
        r = drive("--bearer", "SECRET", s.url, "call", "text", "text", "hi")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "refusing to send credentials",
                          "over a plaintext channel", "bg_options_set_allow_insecure_credentials",
                          step="call")
        self.assertNotIn(b"SECRET", r["msg"])
        self.assertEqual([c for c in s.calls() if c.get("auth")], [])

    def test_bearer_token_loopback_opt_in(self):
        """Defect 7: with bg_options_set_allow_insecure_credentials, loopback may carry it."""
        s = self.server("echo")
        r = drive("--insecure-creds", "--bearer", "SECRET", s.url, "call", "text", "text", "hi")
        self.assertResult(r, "BG_OK")
        self.assertEqual([c["auth"] for c in s.calls()], [True])

    def test_status_message_escaped(self):
        """Defect 10: ESC/BEL from the server's status went raw into err.message."""
        s = self.server("status_escape")
        r = drive(s.url, "call", "text", "text", "hi")
        self.assertResult(r, "BG_ERR_SERVER", "INVALID_ARGUMENT", "bad input", r"\x1b]0;pwned",
                          grpc=3)
        self.assertNotIn(b"\x1b", r["msg"])
        self.assertNotIn(b"\x07", r["msg"])

    def test_duplicate_reply_part_is_protocol(self):
        """Defect 11: duplicate part names in a reply were blamed on the caller."""
        s = self.server("multipart_dup")
        r = drive(s.url, "call", "multipart", "multipart", "hi")
        self.assertResult(r, "BG_ERR_PROTOCOL", "dup_part")

    def test_float_dtype_double_values(self):
        """Defect 12: dtype FLOAT with double_values became an empty array with BG_OK."""
        s = self.server("dtype_mismatch")
        self.assertResult(drive(s.url, "call", "ndarray", "ndarray", "1"), "BG_ERR_PROTOCOL",
                          "says dtype float32 but carries 2 values in the float64 field")

    def test_text_with_nul_keeps_length(self):
        """Defect 12: "abc\\0def" came back as "abc"."""
        s = self.server("text_nul")
        r = drive(s.url, "call", "text", "text", "hi")
        self.assertResult(r, "BG_OK")
        self.assertEqual(r["out"], {"kind": "text", "len": 7, "hex": b"abc\0def".hex()})

    def test_string_ndarray_invalid_utf8(self):
        """Defect 12: non-UTF-8 strings in a reply were accepted although value.h promises UTF-8."""
        s = self.server("string_invalid_utf8")
        self.assertResult(drive(s.url, "call", "ndarray", "ndarray", "1"), "BG_ERR_PROTOCOL",
                          "string element 1 is not valid UTF-8")

    def test_ndarray_copy_invalid_utf8(self):
        """Defect 12: bg_ndarray_copy of a STRING array accepted invalid UTF-8."""
        r = drive("-", "bad_utf8", "copy")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "string element 1 is not valid UTF-8",
                          step="copy")

    def test_ndarray_borrow_invalid_utf8(self):
        """Defect 12: the same through bg_ndarray_borrow."""
        r = drive("-", "bad_utf8", "borrow")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", "string element 1 is not valid UTF-8",
                          step="borrow")

    def test_api_name_with_nul(self):
        """Defect 12: an API named "ab\\0cd" was callable as "ab"."""
        s = self.server("meta_api_nul")
        r = drive(s.url, "call", "ab", "text", "hi")
        self.assertResult(r, "BG_ERR_UNKNOWN_API", "NUL")
        self.assertEqual(s.calls(), [])

    def unix_server(self):
        d = tempfile.mkdtemp(prefix="u", dir=TMP)
        return d, self.server("echo", "--unix", f"{d}/ref.sock")

    def assertNotReached(self, url_template: str, name: str):
        """The path is read byte for byte: it names another file (nothing listens there, or it
        is refused as a path), so the server at ref.sock is not reached; the message names
        the path as given."""
        d, s = self.unix_server()
        r = drive("--discovery-ms", "3000", url_template.format(d), "connect")
        self.assertEqual(r["step"], "connect")
        self.assertIn(r["code"], ("BG_ERR_INVALID_ARGUMENT", "BG_ERR_UNAVAILABLE"), r)
        self.assertIn(name.encode(), r["msg"])
        self.assertEqual(s.records(), [])  # not even ServiceMetadata reached the server

    def test_unix_path_control(self):
        """The exact unix: path connects (what defect 13's refusals are measured against)."""
        d, _ = self.unix_server()
        self.assertResult(drive(f"unix:{d}/ref.sock", "connect"), "BG_OK", step="connect")

    def test_unix_path_fragment(self):
        """Defect 13: "unix:/p/ref.sock#junk" reached ref.sock (URI parsing of a path)."""
        self.assertNotReached("unix:{}/ref.sock#junk", "ref.sock#junk")

    def test_unix_path_query(self):
        """Defect 13: "unix:/p/ref.sock?x=1" reached ref.sock."""
        self.assertNotReached("unix:{}/ref.sock?x=1", "ref.sock?x=1")

    def test_unix_path_percent(self):
        """Defect 13: "unix:/p/%72ef.sock" was percent-decoded to ref.sock."""
        self.assertNotReached("unix:{}/%72ef.sock", "%72ef.sock")

    def test_unix_path_too_long(self):
        """Defect 13: a path over 107 bytes failed as BG_ERR_SERVER 'secure client channel'."""
        r = drive("unix:/tmp/" + "p" * 120 + ".sock", "connect")
        self.assertResult(r, "BG_ERR_INVALID_ARGUMENT", step="connect")
        self.assertNotIn(b"secure client channel", r["msg"])

    def test_plaintext_at_tls_port(self):
        """Defect 14: the advice was 'is the server running?' with no word about TLS."""
        s = self.server("echo", "--tls-cert", f"{CERTS}/server.pem", "--tls-key",
                        f"{CERTS}/server.key")
        r = drive("--discovery-ms", "5000", s.url, "connect")
        self.assertEqual(r["step"], "connect")
        self.assertNotEqual(r["code"], "BG_OK")
        self.assertIn(b"TLS", r["msg"])
        self.assertIn(b"grpcs://", r["msg"])

    def test_tls_port_control(self):
        """The TLS-only server answers a client with its CA (the case above fails for TLS)."""
        s = self.server("echo", "--tls-cert", f"{CERTS}/server.pem", "--tls-key",
                        f"{CERTS}/server.key")
        r = drive("--cacert", f"{CERTS}/ca.pem", f"grpcs://{s.url}", "connect")
        self.assertResult(r, "BG_OK", step="connect")

    def test_huge_trailers_advice(self):
        """Defect 14: 1 MiB of trailers advised raising the message-size limit."""
        s = self.server("huge_trailers")
        r = drive(s.url, "call", "text", "text", "hi")
        self.assertEqual(r["code"], "BG_ERR_SERVER", r)
        self.assertIn(b"grpc.max_metadata_size", r["msg"])
        self.assertIn(b"bg_options_set_max_metadata_size", r["msg"])

    def test_dtype_uint16(self):
        """Defect 14: "UINT16" was taken as numpy's unicode kind (the string dtype)."""
        self.assertResult(drive("-", "dtype", "UINT16"), "BG_ERR_INVALID_ARGUMENT", step="dtype")

    def test_dtype_numpy_spellings_control(self):
        for name, dtype in (("float32", "float32"), ("f8", "float64"), ("uint64", "uint64"),
                            ("str", "str")):
            r = drive("-", "dtype", name)
            self.assertResult(r, "BG_OK", step="dtype")
            self.assertEqual(r["out"], {"dtype": dtype})


# ---------------------------------------------------------------- defects of the CLI

def nested(depth_outer: int, depth_cube: int = 6):
    """A full 4-wide cube `depth_cube` deep inside `depth_outer` 4-element lists whose other
    elements are scalars: the shape read from first elements is 4^(outer+cube)."""
    value = 1
    for _ in range(depth_cube):
        value = [value] * 4
    for _ in range(depth_outer):
        value = [value, 0, 0, 0]
    return json.dumps(value)


class CliDefects(Case):
    @classmethod
    def setUpClass(cls):
        cls.echo = Hostile("echo")

    @classmethod
    def tearDownClass(cls):
        cls.echo.kill()

    def call(self, api, *args, tty=False):
        return cli("call", self.echo.url, api, *args, tty=tty)

    def test_shape_product_wraps(self):
        """Defect 1: 4^32 wrapped to 0, one slot was allocated and 4096 written (ASan)."""
        for option in ("--ndarray", "--series", "--dataframe"):
            with self.subTest(option=option):
                value = nested(26)
                if option == "--dataframe":
                    value = json.dumps({"c": json.loads(value)})
                api = option[2:]
                self.assertCli(self.call(api, option, value), EXIT_USAGE, "too large",
                               stdout_empty=True)
        self.assertCli(self.call("multipart", "--part", f"a=ndarray:{nested(26)}", "--part",
                                 "b=text:x"), EXIT_USAGE, "too large", stdout_empty=True)

    def test_failure_always_reported(self):
        """Defect 2: 4^26 elements: the allocation failed, exit 0 with an empty 'bentogrpc: '."""
        rc, out, err = self.call("ndarray", "--ndarray", nested(20))
        self.assertCli((rc, out, err), EXIT_USAGE, stdout_empty=True)
        self.assertRegex(err, rb"bentogrpc: \S")

    def test_nonfinite_printed(self):
        """Defect 3: NaN and +-Inf vanished from the printed data."""
        s = self.server("reply_nonfinite")
        rc, out, err = cli("call", s.url, "ndarray", "--ndarray", "[1]")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertEqual(out, b'{"dtype":"float32","shape":[2,2],'
                              b'"data":[[1.0,NaN],[Infinity,-Infinity]]}\n')

    def test_uint64_printed_exactly(self):
        """Defect 3: uint64 >= 2^53 printed as rounded doubles."""
        s = self.server("reply_uint64_big")
        rc, out, err = cli("call", s.url, "ndarray", "--ndarray", "[1]")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(b"18446744073709551614", out)
        self.assertIn(b"9007199254740993", out)

    def test_int64_extremes_printed_exactly(self):
        s = self.server("reply_int64_extremes")
        rc, out, err = cli("call", s.url, "ndarray", "--ndarray", "[1]")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(b"-9223372036854775808", out)
        self.assertIn(b"9223372036854775807", out)

    def test_uint64_input_beyond_int64(self):
        """Defect 3: [18446744073709551615] --dtype uint64 was refused as 'too big integer'."""
        n = len(self.echo.calls())
        self.assertCli(self.call("ndarray", "--ndarray", "[18446744073709551615]", "--dtype",
                                 "uint64"), EXIT_OK)
        sent = self.echo.calls()[n:]
        self.assertEqual([c["ndarray"].get("uint64Values") for c in sent],
                         [["18446744073709551615"]])

    def test_nonfinite_help(self):
        rc, out, _ = cli("--help")
        self.assertEqual(rc, 0)
        self.assertIn(b"NaN", out)

    def test_json_numbers_read_like_numbers(self):
        """Defect 4: 10, 100 and 20 printed as 1e+01, 1e+02 and 2e+01."""
        rc, out, err = self.call("json", "--json", '{"n": 10, "m": [100, 3, 20, 1234567]}')
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertNotIn(b"e+", out)
        self.assertEqual(json.loads(out), {"n": 10, "m": [100, 3, 20, 1234567]})

    def test_cacert_with_plaintext(self):
        """Defect 6: --cacert ca.pem --plaintext connected in plaintext."""
        self.assertCli(self.call("ndarray", "--ndarray", "[1]", "--cacert", f"{CERTS}/ca.pem",
                                 "--plaintext"), EXIT_USAGE, "--cacert", "--plaintext",
                       stdout_empty=True)

    def test_part_not_cut_at_4k(self):
        """Defect 8: --part text values were cut to about 4 KiB and the call exited 0."""
        n = len(self.echo.calls())
        rc, out, err = self.call("multipart", "--part", "a=text:" + "x" * 5000, "--part",
                                 "b=text:hi")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertEqual([c.get("parts") for c in self.echo.calls()[n:]], [{"a": 5000, "b": 2}])

    def test_header_key_not_cut(self):
        """Defect 8: -H keys over 255 bytes were cut."""
        key = "x-" + "k" * 300
        n = len(self.echo.calls())
        rc, out, err = self.call("ndarray", "--ndarray", "[1]", "-H", f"{key}:v")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertEqual([c["meta"].get(key) for c in self.echo.calls()[n:]], ["v"])

    def test_out_of_range_integer(self):
        """Defect 9: [1e300] --dtype int64 sent INT64_MIN and exited 0."""
        n = len(self.echo.calls())
        self.assertCli(self.call("ndarray", "--ndarray", "[1e300]", "--dtype", "int64"),
                       EXIT_USAGE, "int64", stdout_empty=True)
        self.assertEqual(self.echo.calls()[n:], [])

    def test_fractional_integer(self):
        n = len(self.echo.calls())
        self.assertCli(self.call("ndarray", "--ndarray", "[1.5]", "--dtype", "int32"),
                       EXIT_USAGE, "int32", stdout_empty=True)
        self.assertEqual(self.echo.calls()[n:], [])

    def test_status_escaped_on_stderr(self):
        """Defect 10: the server's status message reached the terminal raw."""
        s = self.server("status_escape")
        rc, out, err = cli("call", s.url, "text", "--text", "hi")
        self.assertCli((rc, out, err), EXIT_SERVER, "bad input", stdout_empty=True)
        self.assertNotIn(b"\x1b", err)
        self.assertNotIn(b"\x07", err)

    def test_text_reply_escaped_on_terminal(self):
        """Defect 10: a text reply with an escape sequence retitled the window."""
        s = self.server("text_escape")
        rc, out, err = cli("call", s.url, "text", "--text", "hi", tty=True)
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(b"bad input", out)
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"\x07", out)

    def test_bench_replica_escaped_on_terminal(self):
        """Defect 10, found again by the audit: bench listed the replica ids from the servers'
        trailers raw, so an escape sequence in one reached the terminal. gRPC servers refuse
        to send such a value; a hand-written HTTP/2 peer sends it, and gRPC's client takes it."""
        p = self.process("raw_server.py", "--mode", "trailer_escape")
        args = ("bench", p.url, "text", "--text", "hi", "--raw", "--count", "2",
                "--concurrency", "1")
        rc, out, err = cli(*args, tty=True)
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(b"calls per replica (bentoml-replica):\n  r1\\x1b]0;pwned\\x07\\x1b[2J: 2\n",
                      out)
        self.assertNotIn(b"\x1b", out)
        self.assertNotIn(b"\x07", out)
        rc, out, err = cli(*args)  # into a pipe: the raw bytes, as for every output
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(b"  r1\x1b]0;pwned\x07\x1b[2J: 2\n", out)

    def test_bench_counts_replica_ids_not_utf8(self):
        """bench dropped the calls of a replica whose id (a trailer) is not UTF-8 from its
        counts without a word, and counted an id with a NUL under its first part: each is now
        counted under its escaped spelling (\\xHH), in text, JSON and CSV alike."""
        ids = {b"r1": "r1", b"r\xff": "r\\xff", b"a\x00b": "a\\x00b",
               b"\xed\xa0\x80": "\\xed\\xa0\\x80",  # a surrogate
               b"\xc0\x80": "\\xc0\\x80",  # overlong
               b"\xf4\x90\x80\x80": "\\xf4\\x90\\x80\\x80",  # above U+10FFFF
               b"x\xe2\x82": "x\\xe2\\x82",  # cut short
               "€,\"".encode(): "€,\"", "r😀".encode(): "r😀"}  # UTF-8: kept as sent
        p = self.process("raw_server.py", "--mode", "trailer_escape",
                         *(a for i in ids for a in ("--replica-hex", i.hex())))
        args = ("bench", p.url, "text", "--text", "hi", "--raw", "--count", str(2 * len(ids)),
                "--concurrency", "1")  # one connection, calls in turn: 2 per id
        want = {name: 2 for name in ids.values()}
        rc, out, err = cli(*args, "--format", "json")
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertEqual(json.loads(out)["replicas"], want, out)
        rc, out, err = cli(*args)
        self.assertCli((rc, out, err), EXIT_OK)
        listed = out.split(b"calls per replica (bentoml-replica):\n")[1].split(b"\n\n")[0]
        self.assertEqual(listed.decode().splitlines(), [f"  {n}: 2" for n in want], out)
        rc, out, err = cli(*args, tty=True)  # the same spelling on a terminal
        self.assertCli((rc, out, err), EXIT_OK)
        self.assertIn(listed, out)
        rc, out, err = cli(*args, "--format", "csv")
        self.assertCli((rc, out, err), EXIT_OK)
        header, row = list(csv.reader(io.StringIO(out.decode())))
        self.assertEqual(header[13:], [f"replica:{n}" for n in want], out)
        self.assertEqual(row[13:], ["2"] * len(want), out)
        self.assertEqual(row[:3], [str(2 * len(ids)), str(2 * len(ids)), "0"], out)

    def test_duplicate_reply_part_exit_6(self):
        """Defect 11: duplicate reply part names exited 2 ('usage')."""
        s = self.server("multipart_dup")
        self.assertCli(cli("call", s.url, "multipart", "--part", "a=text:x", "--part",
                           "b=text:y"), EXIT_OTHER, "dup_part", stdout_empty=True)

    def test_empty_series_no_validate(self):
        """Defect 15: --no-validate still refused an empty Series."""
        n = len(self.echo.calls())
        self.assertCli(self.call("series", "--series", "[]", "--dtype", "float64",
                                 "--no-validate"), EXIT_OK)
        self.assertEqual([c["field"] for c in self.echo.calls()[n:]], ["series"])

    def test_no_validate_keeps_mime(self):
        """Defect 16: --no-validate still replaced --mime with the descriptor's MIME type."""
        path = os.path.join(TMP, "file.bin")
        with open(path, "wb") as f:
            f.write(b"not really a png")
        n = len(self.echo.calls())
        self.assertCli(self.call("file", "--file", path, "--mime", "image/png", "--no-validate"),
                       EXIT_OK)
        self.assertEqual([c.get("kind") for c in self.echo.calls()[n:]], ["image/png"])

    def test_malformed_header_hides_value(self):
        """Defect 17: '-H authorization Bearer SECRET' was echoed whole on stderr."""
        self.assertCli(self.call("ndarray", "--ndarray", "[1]", "-H",
                                 "authorization Bearer SECRET"), EXIT_USAGE, "-H",
                       stdout_empty=True)
        self.assertNotIn(b"SECRET", cli("call", self.echo.url, "ndarray", "--ndarray", "[1]",
                                        "-H", "authorization Bearer SECRET")[2])


def main() -> int:
    global DRIVER, CLI, TMP, CERTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", required=True)
    parser.add_argument("--cli", required=True)
    args, rest = parser.parse_known_args()
    DRIVER, CLI = os.path.abspath(args.driver), os.path.abspath(args.cli)
    TMP = tempfile.mkdtemp(prefix="hostile.")
    try:
        CERTS = os.path.join(TMP, "certs")
        subprocess.run(["bash", os.path.join(ROOT, "tests/support/make_certs.sh"), CERTS],
                       check=True)
        prog = unittest.main(module=__name__, argv=[sys.argv[0], *rest], exit=False,
                             verbosity=2)
        return 0 if prog.result.wasSuccessful() else 1
    finally:
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
