"""End-to-end harness: real agora-node processes on throwaway databases.

Every test module (or class) derives from NodeTestCase. setUpClass creates a
fresh PostgreSQL database with psql, picks a free port, starts agora-node on
it and waits for GET /healthz; tearDownClass stops the node with SIGTERM
(SIGKILL after a grace period) and drops the database. Python 3 standard
library only.

Environment:
  AGORA_TEST_PG    libpq conninfo of a PostgreSQL server where the tests may
                   CREATE DATABASE (e.g. "host=127.0.0.1 port=55432
                   user=postgres dbname=postgres"). Required.
  AGORA_NODE_BIN   path of the agora-node binary (CMake passes
                   $<TARGET_FILE:agora-node>). Required.
  AGORA_E2E_KEEP   set to 1 to keep the temporary directories and databases
                   of a run for inspection.

A missing variable or binary is a test failure, never a skip.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

# -- constants ----------------------------------------------------------------

ADMIN_EMAIL = "admin@agora.local"
ADMIN_PASSWORD = "agora-admin-dev"

#: The contract says the read models reflect a write within one second; the
#: tests poll for longer so a busy 2-core machine does not make them flaky,
#: and report how long it actually took when they give up.
READ_MODEL_TIMEOUT_S = 5.0

STARTUP_TIMEOUT_S = 30.0

#: The lowest bcrypt cost the node accepts (API.md promises at least 10), so
#: registrations and logins stay fast.
BCRYPT_COST = 10
STOP_GRACE_S = 20.0

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class HarnessError(AssertionError):
    """A precondition of the suite is not met (a failure, not a skip)."""


# -- small utilities ----------------------------------------------------------


def random_token(n=8):
    """Lower-case letters and digits, starting with a letter."""
    alphabet = string.ascii_lowercase + string.digits
    return random.choice(string.ascii_lowercase) + "".join(
        random.choice(alphabet) for _ in range(n - 1))


def random_word(n=9):
    """A pronounceable-ish made-up word of letters only (for search tests)."""
    consonants = "bcdfgklmnprstvz"
    vowels = "aeiou"
    out = []
    for i in range(n):
        out.append(random.choice(consonants if i % 2 == 0 else vowels))
    return "".join(out)


def free_port():
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=READ_MODEL_TIMEOUT_S, interval=0.05, what="condition"):
    """Polls `predicate` until it returns a truthy value; returns that value.

    Raises AssertionError naming `what` and the last value seen on timeout.
    """
    deadline = time.monotonic() + timeout
    start = time.monotonic()
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1f s waiting for %s (last value: %r)"
                                 % (time.monotonic() - start, what, last))
        time.sleep(interval)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def make_jwt(claims, secret, header=None):
    """An HS256 JWT over `claims` signed with `secret` (str or bytes)."""
    header = header if header is not None else {"alg": "HS256", "typ": "JWT"}
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode("utf-8")) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode("utf-8")))
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def jwt_claims(token):
    """The decoded payload of a JWT (no verification)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise AssertionError("not a JWT: %r" % token)
    return json.loads(b64url_decode(parts[1]))


# -- PostgreSQL via psql ------------------------------------------------------


def pg_conninfo_with_db(conninfo, dbname):
    """`conninfo` (keyword/value or URI form) pointing at database `dbname`."""
    if conninfo.startswith(("postgres://", "postgresql://")):
        parts = urllib.parse.urlsplit(conninfo)
        return urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))
    # keyword=value pairs; values may be single-quoted with backslash escapes.
    pairs = re.findall(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", conninfo)
    kept = ["%s=%s" % (k, v) for k, v in pairs if k != "dbname"]
    kept.append("dbname=%s" % dbname)
    return " ".join(kept)


def psql(conninfo, sql, timeout=60):
    """Runs `sql` with psql and returns the rows as lists of strings.

    Uses unaligned, tuples-only output with a unit-separator delimiter, and
    stops on the first error (raising HarnessError with psql's message).
    """
    if shutil.which("psql") is None:
        raise HarnessError("psql is not installed (needed to create test databases)")
    proc = subprocess.run(
        ["psql", conninfo, "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
         "-c", sql],
        capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise HarnessError("psql failed (%d) on %r: %s" % (proc.returncode, sql, proc.stderr.strip()))
    return [line.split("\x1f") for line in proc.stdout.splitlines() if line != ""]


class Database:
    """A throwaway database on the AGORA_TEST_PG server."""

    def __init__(self, server_conninfo):
        self.server_conninfo = server_conninfo
        self.name = "agora_e2e_" + random_token(10)
        self.conninfo = pg_conninfo_with_db(server_conninfo, self.name)
        psql(server_conninfo, "CREATE DATABASE %s" % self.name)

    def query(self, sql):
        return psql(self.conninfo, sql)

    def drop(self):
        psql(self.server_conninfo, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)


# -- HTTP client --------------------------------------------------------------


class Response:
    """One HTTP response: status, headers (lower-case names), raw and JSON body."""

    def __init__(self, method, path, status, headers, raw):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers
        self.raw = raw
        self.text = raw.decode("utf-8", errors="replace")
        self.json = None
        ctype = headers.get("content-type", "")
        if raw and "json" in ctype:
            try:
                self.json = json.loads(self.text)
            except ValueError:
                self.json = None

    @property
    def body(self):
        return self.json

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        text = self.text if len(self.text) < 600 else self.text[:600] + "..."
        return "<%s %s -> %d %s>" % (self.method, self.path, self.status, text)


class Client:
    """A keep-alive HTTP/1.1 client for one node (http.client underneath).

    Every response is checked for an X-Request-Id header and for status 500,
    which the contract never allows; either raises AssertionError at once.
    """

    def __init__(self, port, host="127.0.0.1", timeout=30.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, token=None, headers=None, raw=None,
                content_type=None, check=True):
        """Sends one request and returns a Response.

        `body` is serialized as JSON (Content-Type application/json); `raw`
        sends bytes/str as they are with `content_type` (if any). `token`
        adds a bearer Authorization header. GETs are retried once on a
        connection the server closed while idle; other methods never are.
        """
        hdrs = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
            if content_type is not None:
                hdrs["Content-Type"] = content_type
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if headers:
            hdrs.update(headers)
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            conn = self._connection()
            reused = conn.sock is not None
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.BadStatusLine):
                self.close()
                if reused and attempt + 1 < attempts:
                    continue
                raise
            except Exception:
                self.close()
                raise
            header_map = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close:
                self.close()
            r = Response(method, path, resp.status, header_map, payload)
            if check:
                check_response(r)
            return r
        raise AssertionError("unreachable")

    # JSON helpers
    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


def check_response(r):
    """Checks what holds for every response of the contract."""
    if r.status == 500:
        raise AssertionError("the node answered 500 (never allowed): %r" % r)
    if not r.header("x-request-id"):
        raise AssertionError("response without X-Request-Id: %r (headers %r)" % (r, r.headers))


# -- the node process ---------------------------------------------------------


class Node:
    """One agora-node process on a given database and port."""

    def __init__(self, binary, db_conninfo, workdir, extra_flags=(), name="node"):
        self.binary = binary
        self.db_conninfo = db_conninfo
        self.workdir = workdir
        self.extra_flags = list(extra_flags)
        self.name = name
        self.port = None
        self.proc = None
        self.log_path = None
        self.config_path = os.path.join(workdir, name + ".toml")
        self.starts = 0
        with open(self.config_path, "w") as f:
            f.write("# agora-node settings for one end-to-end test run\n"
                    "[node]\nid = \"%s\"\n" % name)

    def start(self, port=None):
        """Starts the process and waits until /healthz answers 200."""
        for attempt in range(3):
            self.port = port if port is not None else free_port()
            self.starts += 1
            self.log_path = os.path.join(self.workdir, "%s.%d.log" % (self.name, self.starts))
            args = [self.binary, "--config", self.config_path,
                    "--http.port=%d" % self.port,
                    "--pg.conninfo=%s" % self.db_conninfo,
                    "--auth.bcrypt_cost=%d" % BCRYPT_COST,
                    "--auth.hash_threads=2",
                    "--log.level=info"] + self.extra_flags
            self.args = args
            log = open(self.log_path, "wb")
            try:
                self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, cwd=self.workdir)
            finally:
                log.close()
            try:
                self.wait_healthy()
                return self
            except HarnessError:
                bind_race = ("in use" in self.log_tail().lower() and port is None
                             and self.proc.poll() is not None)
                if not bind_race or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def wait_healthy(self, timeout=STARTUP_TIMEOUT_S):
        """Waits for /healthz 200 (the process serves), then /readyz 200
        (PostgreSQL reachable, shards owned: a restarted node may first have
        to take its leases back)."""
        deadline = time.monotonic() + timeout
        for path in ("/healthz", "/readyz"):
            self._wait_for_200(path, deadline, timeout)

    def _wait_for_200(self, path, deadline, timeout):
        last = "no answer"
        while time.monotonic() < deadline:
            code = self.proc.poll()
            if code is not None:
                raise HarnessError("agora-node exited with %d during start-up\n  command: %s\n"
                                   "  log tail:\n%s" % (code, shlex.join(self.args), self.log_tail()))
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                conn.close()
                if resp.status == 200:
                    return
                last = "%d %s" % (resp.status, body[:200])
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        raise HarnessError("agora-node did not answer %s with 200 within %.0f s (last: %s)\n"
                           "  command: %s\n  log tail:\n%s"
                           % (path, timeout, last, shlex.join(self.args), self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid

    def client(self, timeout=30.0):
        return Client(self.port, timeout=timeout)

    def stop(self, grace=STOP_GRACE_S):
        """SIGTERM, wait up to `grace`, then SIGKILL. Returns the exit code
        and whether the node stopped within the grace period."""
        if self.proc is None:
            return None, True
        if self.proc.poll() is not None:
            return self.proc.returncode, True
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=grace)
            return code, True
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(), False

    def kill(self):
        """SIGKILL (a crash): no shutdown code runs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def log_lines_with(self, text):
        """The lines of every log of this node (all its starts) that contain `text`."""
        found = []
        for n in range(1, self.starts + 1):
            path = os.path.join(self.workdir, "%s.%d.log" % (self.name, n))
            try:
                with open(path, "rb") as f:
                    log = f.read().decode("utf-8", errors="replace")
            except OSError:
                continue
            found += [line for line in log.splitlines() if text in line]
        return found

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
        except OSError:
            return "  (no log)"
        return "\n".join("    " + line for line in text.splitlines()[-lines:])


def required_env():
    """(server conninfo, node binary) or a HarnessError saying what is missing."""
    conninfo = os.environ.get("AGORA_TEST_PG", "").strip()
    binary = os.environ.get("AGORA_NODE_BIN", "").strip()
    problems = []
    if not conninfo:
        problems.append("AGORA_TEST_PG is not set (libpq conninfo of a PostgreSQL server where "
                        "the tests may CREATE DATABASE, e.g. \"host=127.0.0.1 port=55432 "
                        "user=postgres dbname=postgres\")")
    if not binary:
        problems.append("AGORA_NODE_BIN is not set (path of the agora-node binary)")
    elif not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        problems.append("AGORA_NODE_BIN=%s is not an executable file" % binary)
    if problems:
        raise HarnessError("end-to-end tests cannot run: " + "; ".join(problems))
    return conninfo, binary


# -- the base test case -------------------------------------------------------


class NodeTestCase(unittest.TestCase):
    """A test class with its own database and running node.

    Subclasses may set `node_flags` (extra --section.key=value flags).
    Class attributes after setUpClass: `db` (Database), `node` (Node),
    `api` (a Client for the node).
    """

    node_flags = ()
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        server, binary = required_env()
        cls.workdir = tempfile.mkdtemp(prefix="agora-e2e-")
        cls.db = Database(server)
        cls.node = Node(binary, cls.db.conninfo, cls.workdir, cls.node_flags,
                        name=cls.__name__.lower())
        try:
            cls.node.start()
        except BaseException:
            cls._cleanup()
            raise
        cls.api = cls.node.client()
        cls._admin_token = None

    # A handler that lets its responder go unanswered is a bug whatever the
    # client got (the server then answers 500 itself, or a wrapper swallows
    # it): no test may make the node log it.
    UNANSWERED = "a handler dropped its responder without replying"

    @classmethod
    def tearDownClass(cls):
        crashed = None
        if cls.node.proc is not None and cls.node.proc.poll() is not None and \
                cls.node.proc.returncode not in (0, -signal.SIGKILL):
            crashed = "agora-node died during the tests (exit %d):\n%s" % (
                cls.node.proc.returncode, cls.node.log_tail())
        unanswered = cls.node.log_lines_with(cls.UNANSWERED)
        if unanswered and not crashed:
            crashed = "agora-node logged %d unanswered responder(s), the first:\n    %s" % (
                len(unanswered), unanswered[0])
        cls.api.close()
        cls._cleanup()
        super().tearDownClass()
        if crashed:
            raise AssertionError(crashed)

    @classmethod
    def _cleanup(cls):
        keep = os.environ.get("AGORA_E2E_KEEP") == "1"
        cls.node.stop()
        if not keep:
            try:
                cls.db.drop()
            except HarnessError:
                pass
            shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- helpers for tests ----------------------------------------------------

    def admin_token(self):
        """A cached admin token (login once per class)."""
        cls = type(self)
        if cls._admin_token is None:
            r = self.api.post("/api/v1/auth/login",
                              {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["role"], "admin", r)
            cls._admin_token = r.json["token"]
        return cls._admin_token

    def register_customer(self, name=None):
        """Registers and logs in a new customer; returns a dict with
        customer_id, email, password, name and token."""
        email = "%s@e2e.example" % random_token(12)
        password = "pw-" + random_token(12)
        name = name or "Customer " + random_token(5)
        r = self.api.post("/api/v1/auth/register",
                          {"email": email, "password": password, "name": name})
        self.assertEqual(r.status, 201, r)
        r2 = self.api.post("/api/v1/auth/login", {"email": email, "password": password})
        self.assertEqual(r2.status, 200, r2)
        return {"customer_id": r.json["customer_id"], "email": email, "password": password,
                "name": name, "token": r2.json["token"]}

    def new_sku(self, prefix="E2E"):
        return "%s-%s" % (prefix, random_token(10).upper())

    def product_body(self, sku=None, **overrides):
        body = {
            "sku": sku or self.new_sku(),
            "name": "Test product " + random_token(6),
            "description": "A product made by the end-to-end tests.",
            "price_cents": 1999,
            "currency": "USD",
            "category": "E2E",
            "attributes": {"color": "blue"},
            "initial_stock": 100,
        }
        body.update(overrides)
        return body

    def create_product(self, sku=None, **overrides):
        """Creates a product as admin (expects 201) and returns the body."""
        body = self.product_body(sku, **overrides)
        body = {k: v for k, v in body.items() if v is not None}
        r = self.api.post("/api/v1/products", body, token=self.admin_token())
        self.assertEqual(r.status, 201, r)
        return r.json

    def create_cart(self, token=None):
        r = self.api.post("/api/v1/carts", {}, token=token)
        self.assertEqual(r.status, 201, r)
        return r.json

    def restart_node(self):
        """Stops the node with SIGTERM (it must exit 0 within the grace period),
        starts it again on the same database and reconnects the client."""
        self.api.close()
        code, in_time = self.node.stop()
        self.assertTrue(in_time and code == 0, "stop: exit %r\n%s" % (code, self.node.log_tail()))
        self.node.start()
        type(self).api = self.node.client()

    def assert_error(self, r, status, code=None, field=None):
        """Checks the contract's error body {"error": {code, message, details}}."""
        self.assertEqual(r.status, status, r)
        self.assertIsInstance(r.json, dict, "error body is not JSON: %r" % r)
        self.assertIn("error", r.json, r)
        err = r.json["error"]
        self.assertIsInstance(err, dict, r)
        self.assertIsInstance(err.get("code"), str, r)
        self.assertIsInstance(err.get("message"), str, r)
        self.assertIn("details", err, r)
        if code is not None:
            self.assertEqual(err["code"], code, r)
        if field is not None:
            self.assertIsInstance(err["details"], dict, r)
            self.assertEqual(err["details"].get("field"), field, r)
        return err

    def assert_timestamp(self, value, what="timestamp"):
        self.assertIsInstance(value, str, what)
        self.assertRegex(value, RFC3339_UTC, what)


# -- raw sockets (for malformed HTTP) -----------------------------------------


def raw_exchange(port, data, read_timeout=5.0, close_write=False):
    """Sends raw bytes and returns whatever the server answers until it closes
    the connection or `read_timeout` passes. Connection resets are not errors
    (they count as the end of the answer)."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
            if close_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + read_timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if _complete_response(b"".join(chunks)):
                break
    return b"".join(chunks)


def _complete_response(data):
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    if m:
        return len(body) >= int(m.group(1))
    return False


def status_of(raw_response):
    """The status code of a raw HTTP response, or None if there is none."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", raw_response)
    return int(m.group(1)) if m else None


class Threads:
    """Runs `target(i)` in `n` threads and joins them (re-raising the first
    exception a thread raised)."""

    def __init__(self, n, target):
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(target, i), daemon=True)
                        for i in range(n)]

    def _run(self, target, i):
        try:
            target(i)
        except BaseException as e:  # reported by join()
            self.errors.append(e)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self, timeout=60):
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError("%d worker threads did not finish" % len(alive))
        if self.errors:
            raise self.errors[0]
