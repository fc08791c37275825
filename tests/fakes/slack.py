"""A loopback Slack Web API: the methods the Slack source calls, over real HTTP, on the
shapes of Slack's documentation (`tests/fixtures/slack/`).

What it implements is what the connector relies on, the way Slack documents it: bearer
tokens (`invalid_auth` otherwise) and scopes (`missing_scope` with `needed`, and the
`X-OAuth-Scopes` header), cursor paging (`limit` at most 999, `response_metadata.
next_cursor`), `conversations.history` newest first with `oldest`/`latest`/`inclusive`,
thread parents carrying `reply_count`, `reply_users`, `latest_reply`, `conversations.
replies` parent first, bots seeing only the channels they are in (`not_in_channel`),
edits (`edited`), deletions (a parent with replies leaves a `tombstone`), archived and
deleted channels, 429 with `Retry-After`, and 5xx answers. The Events API payloads a
change would send come from `event_for`.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slack"
ALL_SCOPES = (
    "channels:read",
    "channels:history",
    "groups:read",
    "groups:history",
    "users:read",
)
MAX_LIMIT = 999
START_TS = 1_793_000_000  # 2026-10-26 UTC

Json = dict[str, Any]


def _fixture(name: str) -> Json:
    data: Json = json.loads((FIXTURES / name).read_text())
    return data


def channel_template() -> Json:
    """A channel as `conversations.list` returns it (from the SDK's recorded fixture)."""
    return copy.deepcopy(_fixture("conversations-list-python-slack-sdk.json")["channels"][0])


@dataclass(frozen=True)
class RecordedCall:
    method: str
    params: dict[str, str]
    authorization: str | None


@dataclass(frozen=True)
class _Failure:
    method: str | None
    status: int
    body: Json
    headers: dict[str, str]


@dataclass
class FakeSlack:
    """Run with ``with FakeSlack() as slack:``; the API is at ``slack.api_url``."""

    token: str = "xoxb-fake-0123456789"
    scopes: tuple[str, ...] = ALL_SCOPES
    team: str = "Lighthouse Keepers"
    team_url: str = "https://lighthouse.slack.com/"
    bot_user: str = "U0BOT"
    clock: float = float(START_TS)
    users: dict[str, Json] = field(default_factory=dict)
    channels: dict[str, Json] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[str, dict[str, Json]] = field(default_factory=dict)
    """Per channel, every message (top-level and replies) by ts."""
    calls: list[RecordedCall] = field(default_factory=list)
    rate_limit_every: int | None = None
    """Answer every n-th call 429 (Retry-After `retry_after`)."""
    retry_after: str = "0"
    _failures: deque[_Failure] = field(default_factory=deque)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _serial: int = 0

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def __enter__(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                self._answer(body)

            def do_GET(self) -> None:
                self._answer("")

            def _answer(self, body: str) -> None:
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query)) | dict(parse_qsl(body))
                method = url.path.rsplit("/", 1)[-1]
                status, payload, headers = fake.handle(
                    method, params, self.headers.get("Authorization")
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- data ------------------------------------------------------------------------------

    def tick(self, seconds: float = 60.0) -> float:
        with self._lock:
            self.clock += seconds
            return self.clock

    def _ts(self) -> str:
        with self._lock:
            self._serial += 1
            self.clock += 1
            return f"{int(self.clock)}.{self._serial:06d}"

    def add_user(
        self, user_id: str, name: str, *, display_name: str = "", real_name: str = ""
    ) -> Json:
        user = {
            "id": user_id,
            "team_id": "T0LIGHT",
            "name": name,
            "deleted": False,
            "real_name": real_name or name,
            "is_bot": False,
            "profile": {
                "real_name": real_name or name,
                "display_name": display_name,
                "real_name_normalized": real_name or name,
                "display_name_normalized": display_name,
            },
        }
        self.users[user_id] = user
        return user

    def add_channel(
        self,
        name: str,
        *,
        private: bool = False,
        members: Iterable[str] = (),
        bot_is_member: bool = True,
    ) -> str:
        with self._lock:
            channel_id = f"C{len(self.channels) + 1:08d}"
            channel = channel_template()
            channel.update(
                id=channel_id,
                name=name,
                name_normalized=name,
                is_general=False,
                is_private=private,
                is_group=False,
                created=int(self.clock),
            )
            self.channels[channel_id] = channel
            self.members[channel_id] = list(members) + ([self.bot_user] if bot_is_member else [])
            self.messages[channel_id] = {}
            return channel_id

    def post(
        self,
        channel: str,
        user: str | None,
        text: str,
        *,
        thread_ts: str | None = None,
        subtype: str | None = None,
        broadcast: bool = False,
        **extra: Any,
    ) -> str:
        with self._lock:
            ts = self._ts()
            message: Json = {"type": "message", "text": text, "ts": ts}
            if user:
                message["user"] = user
            if subtype:
                message["subtype"] = subtype
            if thread_ts:
                message["thread_ts"] = thread_ts
                message["parent_user_id"] = self.messages[channel][thread_ts].get("user")
                self.messages[channel][thread_ts]["thread_ts"] = thread_ts
                if broadcast:
                    message["subtype"] = "thread_broadcast"
            message.update(extra)
            self.messages[channel][ts] = message
            return ts

    def edit(self, channel: str, ts: str, text: str) -> Json:
        """Edit a message; return the `message_changed` event Slack would send."""
        with self._lock:
            message = self.messages[channel][ts]
            previous = copy.deepcopy(message)
            message["text"] = text
            message["edited"] = {"user": message.get("user"), "ts": self._ts()}
            return {
                "type": "message",
                "subtype": "message_changed",
                "channel": channel,
                "hidden": True,
                "message": copy.deepcopy(message),
                "previous_message": previous,
                "event_ts": message["edited"]["ts"],
                "ts": message["edited"]["ts"],
            }

    def delete(self, channel: str, ts: str) -> Json:
        """Delete a message (a parent with replies leaves a tombstone, as in Slack); return
        the event Slack would send."""
        with self._lock:
            messages = self.messages[channel]
            previous = copy.deepcopy(messages[ts])
            now = self._ts()
            if self._replies(channel, ts):
                messages[ts] = {
                    "type": "message",
                    "subtype": "tombstone",
                    "text": "This message was deleted.",
                    "user": "USLACKBOT",
                    "hidden": True,
                    "ts": ts,
                    "thread_ts": ts,
                }
                return {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": channel,
                    "hidden": True,
                    "message": copy.deepcopy(messages[ts]),
                    "previous_message": previous,
                    "event_ts": now,
                    "ts": now,
                }
            del messages[ts]
            previous.update(self._thread_fields(channel, previous))
            return {
                "type": "message",
                "subtype": "message_deleted",
                "channel": channel,
                "hidden": True,
                "deleted_ts": ts,
                "previous_message": previous,
                "event_ts": now,
                "ts": now,
            }

    def archive(self, channel: str) -> Json:
        self.channels[channel]["is_archived"] = True
        return {"type": "channel_archive", "channel": channel, "user": "U0ADMIN"}

    def remove_channel(self, channel: str) -> Json:
        del self.channels[channel]
        del self.messages[channel]
        return {"type": "channel_deleted", "channel": channel}

    def event_for(self, event: Json, *, event_id: str | None = None) -> bytes:
        """The Events API request body (`event_callback`) carrying `event`."""
        with self._lock:
            self._serial += 1
            return json.dumps(
                {
                    "token": "verification-token-unused",
                    "team_id": "T0LIGHT",
                    "api_app_id": "A0SOURCESYNC",
                    "event": event,
                    "type": "event_callback",
                    "event_id": event_id or f"Ev{self._serial:08d}",
                    "event_time": int(self.clock),
                    "authorizations": [{"team_id": "T0LIGHT", "user_id": self.bot_user}],
                }
            ).encode()

    def fail_next(
        self,
        method: str | None,
        status: int,
        *,
        error: str = "",
        retry_after: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (any method when None) with `status`."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = {"ok": False, "error": error or ("ratelimited" if status == 429 else "fatal_error")}
        for _ in range(times):
            self._failures.append(_Failure(method, status, body, headers))

    def count(self, method: str) -> int:
        return sum(call.method == method for call in self.calls)

    # -- the API ---------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, str], authorization: str | None
    ) -> tuple[int, Json, dict[str, str]]:
        with self._lock:
            self.calls.append(RecordedCall(method, params, authorization))
            for failure in list(self._failures):
                if failure.method in (None, method):
                    self._failures.remove(failure)
                    return failure.status, failure.body, failure.headers
            if self.rate_limit_every and len(self.calls) % self.rate_limit_every == 0:
                return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": self.retry_after}
            if authorization != f"Bearer {self.token}":
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            headers = {"X-OAuth-Scopes": ",".join(self.scopes)}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, headers
            limit = int(params.get("limit") or 100)
            if not 1 <= limit <= MAX_LIMIT:
                return 200, {"ok": False, "error": "invalid_limit"}, headers
            try:
                body = handler(params)
            except _SlackError as exc:
                return 200, {"ok": False, "error": exc.error, **exc.extra}, headers
            return 200, {"ok": True, **body}, headers

    def _need(self, scope: str) -> None:
        if scope not in self.scopes:
            raise _SlackError("missing_scope", needed=scope, provided=",".join(self.scopes))

    def _readable(self, channel_id: str, *, history: bool) -> Json:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise _SlackError("channel_not_found")
        private = bool(channel["is_private"])
        self._need(("groups:" if private else "channels:") + ("history" if history else "read"))
        if self.bot_user not in self.members[channel_id]:
            raise _SlackError("channel_not_found" if private else "not_in_channel")
        return channel

    def _auth_test(self, params: dict[str, str]) -> Json:
        return {
            "url": self.team_url,
            "team": self.team,
            "user": "sourcesync",
            "team_id": "T0LIGHT",
            "user_id": self.bot_user,
            "bot_id": "B0SOURCESYNC",
            "is_enterprise_install": False,
        }

    def _conversations_list(self, params: dict[str, str]) -> Json:
        types = set(params.get("types", "public_channel").split(","))
        self._need("channels:read")
        if "private_channel" in types:
            self._need("groups:read")
        listed = []
        for channel_id, channel in sorted(self.channels.items()):
            private = bool(channel["is_private"])
            if ("private_channel" if private else "public_channel") not in types:
                continue
            member = self.bot_user in self.members[channel_id]
            if private and not member:
                continue  # bots see only the private channels they are in
            if params.get("exclude_archived") in ("true", "1") and channel["is_archived"]:
                continue
            listed.append(
                channel | {"is_member": member, "num_members": len(self.members[channel_id])}
            )
        return _page(listed, "channels", params)

    def _conversations_members(self, params: dict[str, str]) -> Json:
        channel_id = params["channel"]
        self._readable(channel_id, history=False)
        return _page(list(self.members[channel_id]), "members", params)

    def _thread_fields(
        self, channel: str, ts: str | Json, index: dict[str, list[Json]] | None = None
    ) -> Json:
        ts = ts if isinstance(ts, str) else str(ts["ts"])
        replies = (index or self._reply_index(channel)).get(ts, [])
        if not replies:
            return {}
        users = list(dict.fromkeys(r.get("user") for r in replies if r.get("user")))
        return {
            "thread_ts": ts,
            "reply_count": len(replies),
            "reply_users_count": len(users),
            "reply_users": users[:5],
            "latest_reply": replies[-1]["ts"],
            "is_locked": False,
            "subscribed": False,
        }

    def _reply_index(self, channel: str) -> dict[str, list[Json]]:
        """Replies by thread, oldest first."""
        index: dict[str, list[Json]] = {}
        for message in self.messages[channel].values():
            thread_ts = message.get("thread_ts")
            if thread_ts is not None and thread_ts != message["ts"]:
                index.setdefault(thread_ts, []).append(message)
        for replies in index.values():
            replies.sort(key=lambda m: float(m["ts"]))
        return index

    def _replies(self, channel: str, ts: str) -> list[Json]:
        return self._reply_index(channel).get(ts, [])

    def _conversations_history(self, params: dict[str, str]) -> Json:
        channel_id = params["channel"]
        self._readable(channel_id, history=True)
        inclusive = params.get("inclusive") in ("true", "1")
        oldest = float(params.get("oldest") or 0)
        latest = float(params["latest"]) if params.get("latest") else None
        index = self._reply_index(channel_id)
        shown = []
        for message in self.messages[channel_id].values():
            ts = float(message["ts"])
            reply = message.get("thread_ts") not in (None, message["ts"])
            if reply and message.get("subtype") != "thread_broadcast":
                continue
            if ts < oldest or (ts == oldest and not inclusive):
                continue
            if latest is not None and (ts > latest or (ts == latest and not inclusive)):
                continue
            if message.get("subtype") == "tombstone" and not index.get(message["ts"]):
                continue
            shown.append(message)
        shown.sort(key=lambda m: float(m["ts"]), reverse=True)
        page = _page(shown, "messages", params)
        page["messages"] = [
            copy.deepcopy(m) | self._thread_fields(channel_id, m, index) for m in page["messages"]
        ]
        page["has_more"] = bool(page["response_metadata"]["next_cursor"])
        page["pin_count"] = 0
        return page

    def _conversations_replies(self, params: dict[str, str]) -> Json:
        channel_id = params["channel"]
        self._readable(channel_id, history=True)
        ts = params["ts"]
        parent = self.messages[channel_id].get(ts)
        if parent is None:
            raise _SlackError("thread_not_found")
        thread = [copy.deepcopy(parent) | self._thread_fields(channel_id, ts)]
        thread += [copy.deepcopy(m) for m in self._replies(channel_id, ts)]
        page = _page(thread, "messages", params)
        page["has_more"] = bool(page["response_metadata"]["next_cursor"])
        return page

    def _users_list(self, params: dict[str, str]) -> Json:
        self._need("users:read")
        return _page(list(self.users.values()), "members", params)

    def _users_info(self, params: dict[str, str]) -> Json:
        self._need("users:read")
        user = self.users.get(params.get("user", ""))
        if user is None:
            raise _SlackError("user_not_found")
        return {"user": user}


class _SlackError(Exception):
    def __init__(self, error: str, **extra: str) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def _page(items: list[Any], key: str, params: dict[str, str]) -> Json:
    limit = int(params.get("limit") or 100)
    start = 0
    if params.get("cursor"):
        start = int(base64.b64decode(params["cursor"]).decode().split(":", 1)[1])
    chunk = items[start : start + limit]
    after = start + limit
    next_cursor = base64.b64encode(f"next:{after}".encode()).decode() if after < len(items) else ""
    return {key: chunk, "response_metadata": {"next_cursor": next_cursor}}


def build_workspace(slack: FakeSlack) -> dict[str, Any]:
    """A workspace for tests: public and private channels, 1,200 messages over ten days in
    #general, a 60-reply thread in private #pricing whose 58th reply (by Dana Whitfield) alone says
    "gooseberry", noise, bots, files, links and mentions. Returns the interesting ids."""
    ada = slack.add_user("U0ADA", "ada", display_name="Ada L", real_name="Ada Lovelace")
    grace = slack.add_user("U0GRACE", "grace", real_name="Grace Hopper")
    dana = slack.add_user("U0DANA", "dana.w", display_name="Dana Whitfield")
    ids = [str(user["id"]) for user in (ada, grace, dana)]
    general = slack.add_channel("general", members=ids)
    random = slack.add_channel("random", members=ids)
    pricing = slack.add_channel("pricing", private=True, members=["U0ADA", "U0DANA"])
    slack.add_channel("secret-plans", private=True, members=["U0GRACE"], bot_is_member=False)
    slack.add_channel("announcements", members=ids, bot_is_member=False)

    slack.post(general, "U0ADA", "", subtype="channel_join")
    rotation = ["U0ADA", "U0GRACE", "U0DANA"]
    threads: list[str] = []
    for n in range(1200):
        if n % 120 == 0 and n:
            slack.tick(24 * 3600 - 120)
        ts = slack.post(general, rotation[n % 3], f"general chatter number {n} about the lamp")
        if n % 100 == 7:
            threads.append(ts)
            for r in range(3):
                slack.post(general, rotation[(n + r + 1) % 3], f"reply {r} to {n}", thread_ts=ts)
    slack.post(
        general,
        None,
        "Deploy finished",
        subtype="bot_message",
        username="deploybot",
        bot_id="B0DEPLOY",
    )
    slack.post(
        general,
        "U0GRACE",
        f"see <https://example.com/specs|the spec> and ask <@U0ADA> in <#{random}> &amp; <!here>",
        files=[
            {
                "id": "F1",
                "name": "spec.pdf",
                "title": "Pricing spec",
                "permalink": "https://lighthouse.slack.com/files/F1",
            }
        ],
    )
    slack.post(random, "U0DANA", "lunch?")
    parent = slack.post(pricing, "U0ADA", "What did we decide about the pricing page?")
    deep = ""
    for r in range(60):
        text = f"pricing reply {r}: tiers and discounts"
        if r == 57:
            text = "we settled on the gooseberry plan for the pricing page"
        ts = slack.post(pricing, "U0DANA" if r % 2 else "U0ADA", text, thread_ts=parent)
        if r == 57:
            deep = ts
    slack.tick(3600)
    return {
        "general": general,
        "random": random,
        "pricing": pricing,
        "pricing_thread": parent,
        "deep_reply": deep,
        "general_threads": threads,
    }
