"""A loopback GitHub answering from a real git repository, with GitHub's limits as switches.

`GitRepo` builds the repository a test needs (real commits, so tree and blob shas are
real); `FakeGitHub` serves it over HTTP on 127.0.0.1:

- REST under `api_url`: `GET /repos/{o}/{r}`, `/branches/{b}`, `/git/trees/{sha}[?recursive=1]`,
  `/compare/{base}...{head}`, `/installation`, and `POST /app/installations/{id}/access_tokens`
  (the last two checking an RS256 app JWT against the app's public key);
- raw content under `raw_url`: `GET /{o}/{r}/{sha}/{path}`.

Switches: `truncate_trees_over` (recursive trees with more entries answer `truncated: true`
and a partial list), `compare_cap` (files listed by compare), `rate_limit_next` (403 with
`X-RateLimit-Remaining: 0`, or 429 with `Retry-After`), `fail_next` (5xx), `token` (401 for
any other token), `private` (404 without a token). `counts` tallies requests per endpoint
and `requests` records each one, with the client port that tells connections apart.
"""

import base64
import contextlib
import json
import re
import subprocess
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.chaos import Chaos

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}
_DOCS = "https://docs.github.com/rest"


class GitError(Exception):
    """A git command failed (an unknown sha, usually)."""


def _git(path: Path, *args: str, stdin: bytes | None = None) -> bytes:
    completed = subprocess.run(
        ["git", "-C", str(path), *args],
        input=stdin,
        capture_output=True,
        check=False,
        env=_GIT_ENV,
    )
    if completed.returncode != 0:
        raise GitError(completed.stderr.decode(errors="replace").strip())
    return completed.stdout


@dataclass
class GitRepo:
    """A git repository a test writes files to and commits in."""

    path: Path
    branch: str = "main"

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> Self:
        path.mkdir(parents=True, exist_ok=True)
        _git(path, "init", "--quiet", f"--initial-branch={branch}")
        return cls(path, branch)

    def git(self, *args: str) -> str:
        return _git(self.path, *args).decode().strip()

    def write(self, files: dict[str, str | bytes]) -> None:
        for name, content in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode() if isinstance(content, str) else content
            target.write_bytes(data)

    def remove(self, *names: str) -> None:
        _git(self.path, "rm", "--quiet", "--", *names)

    def rename(self, old: str, new: str) -> None:
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        _git(self.path, "mv", old, new)

    def commit(self, message: str = "change") -> str:
        """Commit everything in the working tree; return the commit's sha."""
        _git(self.path, "add", "--all")
        _git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def reset_hard(self, commit: str) -> None:
        """Move the branch back to `commit`, as before a force push."""
        _git(self.path, "reset", "--quiet", "--hard", commit)

    def drop_unreachable(self) -> None:
        """Forget commits no branch reaches, as GitHub does some time after a force push."""
        _git(self.path, "reflog", "expire", "--expire=now", "--all")
        _git(self.path, "gc", "--quiet", "--prune=now")


@dataclass(frozen=True)
class RecordedRequest:
    endpoint: str
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    client_port: int


@dataclass(frozen=True)
class _Failure:
    status: int
    headers: dict[str, str]
    message: str


@dataclass
class _App:
    app_id: str
    public_key: Any  # a cryptography RSAPublicKey
    installation_id: int | None


class _Reply(Exception):
    """Raised by a route to answer with a status, a JSON (or raw) body and headers."""

    def __init__(
        self, status: int, body: Any, headers: dict[str, str] | None = None, raw: bool = False
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw


def _not_found(message: str = "Not Found") -> _Reply:
    return _Reply(404, {"message": message, "documentation_url": _DOCS, "status": "404"})


@dataclass
class FakeGitHub:
    """Run with `with FakeGitHub(repo) as github:`; aim clients at `api_url` and `raw_url`."""

    repo: GitRepo
    owner: str = "octo"
    name: str = "widgets"
    token: str | None = None
    private: bool = True
    truncate_trees_over: int | None = None
    compare_cap: int = 300
    installation_token_ttl_s: int = 3600
    counts: Counter[str] = field(default_factory=Counter)
    requests: list[RecordedRequest] = field(default_factory=list)
    chaos: Chaos = field(default_factory=Chaos)
    """Random faults in a share of the answers (``chaos.rate``)."""
    _failures: deque[_Failure] = field(default_factory=deque)
    _app: _App | None = None
    _issued_tokens: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def raw_url(self) -> str:
        return f"{self.base_url}/raw"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def rate_limit_next(
        self,
        times: int = 1,
        *,
        status: int = 403,
        reset_at: int | None = None,
        retry_after: str | None = None,
    ) -> None:
        """Refuse the next `times` requests as rate limited.

        403 answers carry `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset: reset_at`
        (a minute from now by default); `retry_after` adds `Retry-After`, as 429 answers do.
        """
        headers = {}
        if status == 403:
            reset = reset_at if reset_at is not None else int(time.time()) + 60
            headers = {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": "5000",
                "X-RateLimit-Reset": str(reset),
                "X-RateLimit-Resource": "core",
            }
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        message = (
            "API rate limit exceeded"
            if status == 403
            else "You have exceeded a secondary rate limit. Please wait a few minutes."
        )
        with self._lock:
            self._failures.extend([_Failure(status, headers, message)] * times)

    def fail_next(self, times: int = 1, *, status: int = 502) -> None:
        """Answer the next `times` requests with a server error."""
        with self._lock:
            self._failures.extend([_Failure(status, {}, "Server Error")] * times)

    def install_app(self, *, app_id: str, public_key: Any, installation_id: int | None) -> None:
        """Register a GitHub App, installed on the repository unless `installation_id` is None.

        App JWTs are checked against `public_key`.
        """
        self._app = _App(app_id, public_key, installation_id)

    def revoke_installation_tokens(self) -> None:
        """Refuse (401) every installation token issued so far, as after a suspension."""
        with self._lock:
            self._issued_tokens.clear()

    def tree_requests(self, *, recursive: bool) -> int:
        return sum(
            1
            for r in self.requests
            if r.endpoint == "tree" and ("recursive" in r.query) == recursive
        )

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown, which waits for the next poll, quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- request handling ------------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> _Failure | None:
        with self._lock:
            self.requests.append(request)
            self.counts[request.endpoint] += 1
            return self._failures.popleft() if self._failures else None

    def _git(self, *args: str) -> bytes:
        return _git(self.repo.path, *args)

    def _resolve(self, rev: str, kind: str) -> str:
        try:
            return (
                self._git("rev-parse", "--verify", "--quiet", f"{rev}^{{{kind}}}").decode().strip()
            )
        except GitError:
            raise _not_found() from None

    def _check_repo(self, owner: str, name: str) -> None:
        if (owner, name) != (self.owner, self.name):
            raise _not_found()

    def _check_token(self, headers: dict[str, str], *, raw: bool) -> None:
        authorization = headers.get("authorization", "")
        scheme, _, presented = authorization.partition(" ")
        if not presented:
            if self.private:
                raise _Reply(404, "404: Not Found", raw=True) if raw else _not_found()
            return
        accepted = self._issued_tokens | ({self.token} if self.token else set())
        if not accepted and self._app is None:
            return
        if scheme.lower() not in ("bearer", "token") or presented not in accepted:
            if raw:
                raise _Reply(404, "404: Not Found", raw=True)
            raise _Reply(401, {"message": "Bad credentials", "documentation_url": _DOCS})

    def _check_jwt(self, headers: dict[str, str]) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        refused = _Reply(
            401,
            {"message": "A JSON web token could not be decoded", "documentation_url": _DOCS},
        )
        if self._app is None:
            raise refused
        token = headers.get("authorization", "").removeprefix("Bearer ")
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(_b64decode(header_b64))
            claims = json.loads(_b64decode(claims_b64))
            self._app.public_key.verify(
                _b64decode(signature_b64),
                f"{header_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (ValueError, InvalidSignature):
            raise refused from None
        now = time.time()
        if (
            header.get("alg") != "RS256"
            or str(claims.get("iss")) != self._app.app_id
            or not claims.get("iat", now + 1) <= now < claims.get("exp", 0)
            or claims["exp"] - claims["iat"] > 600
        ):
            raise refused

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[str, Callable[[], _Reply]]:
        """The endpoint's name and the function answering it."""
        api = re.fullmatch(r"/api/v3(/.*)", path)
        raw = re.fullmatch(r"/raw/([^/]+)/([^/]+)/([^/]+)/(.+)", path)
        if raw:
            owner, name, sha, file_path = raw.groups()
            return "raw", partial(self._raw, owner, name, sha, unquote(file_path), headers)
        if not api:
            return "unknown", _not_found
        rest = api.group(1)
        routes: list[tuple[str, str, str, Callable[..., _Reply]]] = [
            ("GET", "repo", r"/repos/([^/]+)/([^/]+)", self._repository),
            ("GET", "branch", r"/repos/([^/]+)/([^/]+)/branches/(.+)", self._branch),
            ("GET", "tree", r"/repos/([^/]+)/([^/]+)/git/trees/([^/]+)", self._tree),
            (
                "GET",
                "compare",
                r"/repos/([^/]+)/([^/]+)/compare/([^/]+?)\.\.\.([^/]+)",
                self._compare,
            ),
            ("GET", "installation", r"/repos/([^/]+)/([^/]+)/installation", self._installation),
            ("POST", "access_token", r"/app/installations/(\d+)/access_tokens", self._access_token),
        ]
        for route_method, endpoint, pattern, answer in routes:
            match = re.fullmatch(pattern, rest)
            if match and method == route_method:
                args = [unquote(group) for group in match.groups()]
                return endpoint, partial(answer, *args, query=query, headers=headers)
        return "unknown", _not_found

    def _repository(self, owner: str, name: str, **request: Any) -> _Reply:
        self._check_repo(owner, name)
        self._check_token(request["headers"], raw=False)
        return _Reply(
            200,
            {
                "id": 1296269,
                "name": self.name,
                "full_name": self.full_name,
                "owner": {"login": self.owner, "type": "Organization"},
                "private": self.private,
                "html_url": f"https://github.com/{self.full_name}",
                "url": f"{self.api_url}/repos/{self.full_name}",
                "default_branch": self.repo.branch,
                "visibility": "private" if self.private else "public",
            },
        )

    def _branch(self, owner: str, name: str, branch: str, **request: Any) -> _Reply:
        self._check_repo(owner, name)
        self._check_token(request["headers"], raw=False)
        try:
            sha = self._git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        except GitError:
            raise _not_found("Branch not found") from None
        commit = sha.decode().strip()
        return _Reply(
            200,
            {
                "name": branch,
                "commit": {
                    "sha": commit,
                    "url": f"{self.api_url}/repos/{self.full_name}/commits/{commit}",
                },
                "protected": False,
            },
        )

    def _tree(self, owner: str, name: str, sha: str, **request: Any) -> _Reply:
        self._check_repo(owner, name)
        self._check_token(request["headers"], raw=False)
        tree = self._resolve(sha, "tree")
        recursive = "recursive" in request["query"]
        args = ["ls-tree", "-l", "-z", *(["-r", "-t"] if recursive else []), tree]
        entries = []
        for line in self._git(*args).split(b"\0"):
            if not line:
                continue
            meta, _, entry_path = line.decode().partition("\t")
            mode, kind, object_sha, size = meta.split()
            entry: dict[str, Any] = {
                "path": entry_path,
                "mode": mode,
                "type": kind,
                "sha": object_sha,
            }
            if kind == "blob":
                entry["size"] = int(size)
                entry["url"] = f"{self.api_url}/repos/{self.full_name}/git/blobs/{object_sha}"
            elif kind == "tree":
                entry["url"] = f"{self.api_url}/repos/{self.full_name}/git/trees/{object_sha}"
            entries.append(entry)
        truncated = (
            recursive
            and self.truncate_trees_over is not None
            and len(entries) > self.truncate_trees_over
        )
        if truncated:
            entries = entries[: self.truncate_trees_over]
        return _Reply(
            200,
            {
                "sha": tree,
                "url": f"{self.api_url}/repos/{self.full_name}/git/trees/{tree}",
                "tree": entries,
                "truncated": truncated,
            },
        )

    def _compare(self, owner: str, name: str, base: str, head: str, **request: Any) -> _Reply:
        self._check_repo(owner, name)
        self._check_token(request["headers"], raw=False)
        base_sha, head_sha = self._resolve(base, "commit"), self._resolve(head, "commit")
        try:
            merge_base = self._git("merge-base", base_sha, head_sha).decode().strip()
        except GitError:
            raise _not_found(f"No common ancestor between {base} and {head}.") from None
        counts = self._git("rev-list", "--left-right", "--count", f"{base_sha}...{head_sha}")
        behind_by, ahead_by = (int(n) for n in counts.split())
        status = (
            "identical"
            if not ahead_by and not behind_by
            else "ahead"
            if not behind_by
            else "behind"
            if not ahead_by
            else "diverged"
        )
        commits = self._git("rev-list", "--reverse", f"{merge_base}..{head_sha}").decode().split()
        files = self._changed_files(merge_base, head_sha)
        web = f"https://github.com/{self.full_name}"
        return _Reply(
            200,
            {
                "url": f"{self.api_url}/repos/{self.full_name}/compare/{base}...{head}",
                "html_url": f"{web}/compare/{base}...{head}",
                "base_commit": {"sha": base_sha},
                "merge_base_commit": {"sha": merge_base},
                "status": status,
                "ahead_by": ahead_by,
                "behind_by": behind_by,
                "total_commits": len(commits),
                "commits": [
                    {"sha": sha, "url": f"{self.api_url}/repos/{self.full_name}/commits/{sha}"}
                    for sha in commits
                ],
                "files": files[: self.compare_cap],
            },
        )

    def _changed_files(self, base: str, head: str) -> list[dict[str, Any]]:
        fields = (
            self._git("diff", "--raw", "-z", "-M", "--no-abbrev", base, head).decode().split("\0")
        )
        statuses = {
            "A": "added",
            "D": "removed",
            "M": "modified",
            "R": "renamed",
            "C": "copied",
            "T": "changed",
        }
        files = []
        index = 0
        while index < len(fields) - 1:
            _, _, old_sha, new_sha, letter = fields[index].lstrip(":").split()
            status = statuses[letter[0]]
            paths = fields[index + 1 : index + (3 if letter[0] in "RC" else 2)]
            index += 1 + len(paths)
            file: dict[str, Any] = {
                "sha": old_sha if status == "removed" else new_sha,
                "filename": paths[-1],
                "status": status,
                "additions": 0,
                "deletions": 0,
                "changes": 0,
                "blob_url": f"https://github.com/{self.full_name}/blob/{head}/{paths[-1]}",
                "raw_url": f"https://github.com/{self.full_name}/raw/{head}/{paths[-1]}",
                "contents_url": f"{self.api_url}/repos/{self.full_name}/contents/{paths[-1]}?ref={head}",
            }
            if status == "renamed":
                file["previous_filename"] = paths[0]
            files.append(file)
        return files

    def _installation(self, owner: str, name: str, **request: Any) -> _Reply:
        self._check_repo(owner, name)
        self._check_jwt(request["headers"])
        assert self._app is not None
        if self._app.installation_id is None:
            raise _not_found()
        return _Reply(
            200,
            {
                "id": self._app.installation_id,
                "app_id": int(self._app.app_id),
                "account": {"login": self.owner},
                "repository_selection": "selected",
                "access_tokens_url": f"{self.api_url}/app/installations/{self._app.installation_id}/access_tokens",
            },
        )

    def _access_token(self, installation_id: str, **request: Any) -> _Reply:
        self._check_jwt(request["headers"])
        assert self._app is not None
        if int(installation_id) != self._app.installation_id:
            raise _not_found()
        token = f"ghs_{len(self._issued_tokens):04d}{int(time.time() * 1000)}"
        with self._lock:
            self._issued_tokens.add(token)
        expires = datetime.fromtimestamp(time.time() + self.installation_token_ttl_s, UTC)
        return _Reply(
            201,
            {
                "token": token,
                "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "permissions": {"contents": "read", "metadata": "read"},
                "repository_selection": "selected",
            },
        )

    def _raw(self, owner: str, name: str, sha: str, path: str, headers: dict[str, str]) -> _Reply:
        if (owner, name) != (self.owner, self.name):
            raise _Reply(404, "404: Not Found", raw=True)
        self._check_token(headers, raw=True)
        try:
            content = self._git("cat-file", "blob", f"{sha}:{path}")
        except GitError:
            raise _Reply(404, "404: Not Found", raw=True) from None
        return _Reply(200, content, raw=True)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes: without this, delayed ACKs add ~40 ms
        # to every keep-alive request, which no real server does.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._handle("POST")

        def _handle(self, method: str) -> None:
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            headers = {name.lower(): value for name, value in self.headers.items()}
            endpoint, answer = fake._route(method, url.path, query, headers)
            failure = fake._record(
                RecordedRequest(endpoint, method, url.path, query, headers, self.client_address[1])
            )
            if failure is not None:
                body = {"message": failure.message, "documentation_url": _DOCS}
                self._send(_Reply(failure.status, body, failure.headers))
                return
            if fake.chaos.answer(self):
                return
            try:
                reply = answer()
            except _Reply as raised:
                reply = raised
            self._send(reply)

        def _send(self, reply: _Reply) -> None:
            if reply.raw:
                payload = reply.body if isinstance(reply.body, bytes) else str(reply.body).encode()
                content_type = "text/plain; charset=utf-8"
            else:
                payload = json.dumps(reply.body).encode()
                content_type = "application/json; charset=utf-8"
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

    return Handler
