"""A loopback Pinecone: the control plane (indexes) and each index's data plane, over REST.

Built from the shapes of Pinecone's API (tests/fixtures/pinecone/, API 2025-10 and the
2026-07 index model the SDK reads), as Pinecone Local serves them, and strict where
production is: a request over 2 MB, more than 1,000 vectors per upsert, fetch or delete,
metadata over 40 KB or of a type Pinecone refuses (null, nested objects), a vector of the
wrong dimension, an id over 512 characters, more than 1,000 sparse values, topK out of
range (at most 1,000 with metadata or values): each is refused with a 400, so a client that breaks a limit fails here as it would
there. Every request needs the `Api-Key` header. One server serves every index, each under
`/hosts/{name}` (the host the control plane reports for it).

Unlike production, reads see writes at once (Pinecone is eventually consistent).
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.chaos import Chaos

MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_VECTORS_PER_REQUEST = 1_000
MAX_METADATA_BYTES = 40 * 1024
MAX_ID_LENGTH = 512
MAX_SPARSE_VALUES = 1_000
MAX_TOP_K = 10_000
MAX_TOP_K_WITH_METADATA = 1_000
MAX_NAMESPACE_LENGTH = 512
MAX_LIST_LIMIT = 100


class PineconeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class FakeVector:
    values: list[float]
    sparse: dict[int, float]
    metadata: dict[str, Any]


@dataclass
class FakeIndex:
    name: str
    dimension: int | None
    metric: str
    vector_type: str
    deployment: dict[str, Any]
    namespaces: dict[str, dict[str, FakeVector]] = field(default_factory=dict)

    def description(self, host: str) -> dict[str, Any]:
        """The index as the 2026-07 control plane describes it."""
        if self.vector_type == "sparse":
            fields: dict[str, Any] = {"_sparse_values": {"type": "sparse_vector"}}
        else:
            fields = {
                "_values": {
                    "type": "dense_vector",
                    "dimension": self.dimension,
                    "metric": self.metric,
                }
            }
        return {
            "name": self.name,
            "host": host,
            "status": {"ready": True, "state": "Ready"},
            "schema": {"fields": fields},
            "deployment": self.deployment,
            "deletion_protection": "disabled",
        }


@dataclass
class FakePinecone:
    """Run with `with FakePinecone() as pinecone:`; aim the SDK at `pinecone.control_url`."""

    api_key: str = "pcsk-test-key"
    chaos: Chaos = field(default_factory=Chaos)
    indexes: dict[str, FakeIndex] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    """Requests answered, by `METHOD /path` (index hosts as `/hosts/*`)."""
    largest_request_bytes: int = 0
    largest_upsert: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def control_url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def index_host(self, name: str) -> str:
        return f"{self.control_url}/hosts/{name}"

    def vectors(self, index: str, namespace: str) -> dict[str, FakeVector]:
        """A copy of what a namespace of an index holds, by id."""
        with self._lock:
            return dict(self.indexes[index].namespaces.get(namespace, {}))

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
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

    # The control plane.

    def create_index(self, body: Any) -> dict[str, Any]:
        name = _require(body, "name", str)
        fields = _require(_require(body, "schema", dict), "fields", dict)
        deployment = body.get("deployment") or {
            "deployment_type": "managed",
            "cloud": "aws",
            "region": "us-east-1",
        }
        if len(fields) != 1:
            raise PineconeError(400, "this fake serves indexes of one vector field")
        [(field_name, spec)] = fields.items()
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind == "dense_vector" and field_name == "_values":
            dimension = spec.get("dimension")
            if not isinstance(dimension, int) or not 1 <= dimension <= 20_000:
                raise PineconeError(400, "dimension must be an integer from 1 to 20000")
            metric = spec.get("metric", "cosine")
            if metric not in ("cosine", "dotproduct", "euclidean"):
                raise PineconeError(400, f"unknown metric {metric!r}")
            index = FakeIndex(name, dimension, metric, "dense", deployment)
        elif kind == "sparse_vector" and field_name == "_sparse_values":
            index = FakeIndex(name, None, "dotproduct", "sparse", deployment)
        else:
            raise PineconeError(400, f"unsupported schema field {field_name!r}: {spec!r}")
        with self._lock:
            if name in self.indexes:
                raise PineconeError(409, f"Resource {name} already exists")
            self.indexes[name] = index
        return index.description(self.index_host(name))

    def describe_index(self, name: str) -> dict[str, Any]:
        return self._index(name).description(self.index_host(name))

    def _index(self, name: str) -> FakeIndex:
        with self._lock:
            index = self.indexes.get(name)
        if index is None:
            raise PineconeError(404, f"Resource {name} not found")
        return index

    # The data plane.

    def upsert(self, index: FakeIndex, body: Any) -> dict[str, Any]:
        vectors = _require(body, "vectors", list)
        namespace = _namespace(body)
        if not 1 <= len(vectors) <= MAX_VECTORS_PER_REQUEST:
            raise PineconeError(
                400, f"upsert takes 1 to {MAX_VECTORS_PER_REQUEST} vectors, got {len(vectors)}"
            )
        parsed = {_require(v, "id", str): self._vector(index, v) for v in vectors}
        with self._lock:
            index.namespaces.setdefault(namespace, {}).update(parsed)
            self.largest_upsert = max(self.largest_upsert, len(vectors))
        return {"upsertedCount": len(parsed)}

    def _vector(self, index: FakeIndex, raw: Any) -> FakeVector:
        vector_id = _require(raw, "id", str)
        if not 1 <= len(vector_id) <= MAX_ID_LENGTH:
            raise PineconeError(400, f"vector id must be 1 to {MAX_ID_LENGTH} characters")
        values = raw.get("values") or []
        sparse = _sparse(raw.get("sparseValues"))
        if index.vector_type == "dense":
            if len(values) != index.dimension:
                raise PineconeError(
                    400,
                    f"Vector dimension {len(values)} does not match the dimension of the "
                    f"index {index.dimension}",
                )
            if not any(values):
                raise PineconeError(400, "Dense vectors must contain at least one non-zero value")
        elif values or not sparse:
            raise PineconeError(400, "a sparse index takes sparse values only, at least one")
        metadata = raw.get("metadata") or {}
        _check_metadata(vector_id, metadata)
        return FakeVector([float(v) for v in values], sparse, metadata)

    def query(self, index: FakeIndex, body: Any) -> dict[str, Any]:
        namespace = _namespace(body)
        top_k = _require(body, "topK", int)
        include_metadata = bool(body.get("includeMetadata"))
        include_values = bool(body.get("includeValues"))
        limit = MAX_TOP_K_WITH_METADATA if include_metadata or include_values else MAX_TOP_K
        if not 1 <= top_k <= limit:
            raise PineconeError(400, f"topK must be 1 to {limit}, got {top_k}")
        query_filter = body.get("filter") or {}
        with self._lock:
            candidates = list(index.namespaces.get(namespace, {}).items())
        if index.vector_type == "dense":
            query = body.get("vector")
            if not isinstance(query, list) or len(query) != index.dimension:
                raise PineconeError(400, f"the query vector must have {index.dimension} values")
            scored = [
                (vector_id, _cosine(query, vector.values))
                for vector_id, vector in candidates
                if _matches(vector.metadata, query_filter)
            ]
        else:
            sparse = _sparse(body.get("sparseVector"))
            if not sparse:
                raise PineconeError(400, "a sparse index is queried with a sparseVector")
            scored = [
                (vector_id, score)
                for vector_id, vector in candidates
                if _matches(vector.metadata, query_filter)
                and (score := sum(w * vector.sparse.get(i, 0.0) for i, w in sparse.items())) > 0
            ]
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        by_id = dict(candidates)
        matches = [
            {"id": vector_id, "score": score}
            | ({"metadata": by_id[vector_id].metadata} if include_metadata else {})
            | (_values(by_id[vector_id]) if include_values else {})
            for vector_id, score in scored[:top_k]
        ]
        return {"matches": matches, "namespace": namespace, "usage": {"readUnits": 1}}

    def delete(self, index: FakeIndex, body: Any) -> dict[str, Any]:
        namespace = _namespace(body)
        with self._lock:
            held = index.namespaces.get(namespace)
            if body.get("deleteAll"):
                if held is None:
                    raise PineconeError(404, f"Namespace {namespace} not found")
                del index.namespaces[namespace]
                return {}
            ids = _require(body, "ids", list)
            if len(ids) > MAX_VECTORS_PER_REQUEST:
                raise PineconeError(
                    400, f"delete takes at most {MAX_VECTORS_PER_REQUEST} ids, got {len(ids)}"
                )
            for vector_id in ids:
                (held or {}).pop(vector_id, None)
        return {}

    def list_ids(self, index: FakeIndex, query: dict[str, list[str]]) -> dict[str, Any]:
        namespace = query.get("namespace", [""])[0]
        prefix = query.get("prefix", [""])[0]
        limit = int(query.get("limit", [str(MAX_LIST_LIMIT)])[0])
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise PineconeError(400, f"limit must be 1 to {MAX_LIST_LIMIT}")
        after = query.get("paginationToken", [None])[0]
        start = base64.urlsafe_b64decode(after).decode() if after else None
        with self._lock:
            ids = sorted(i for i in index.namespaces.get(namespace, {}) if i.startswith(prefix))
        if start is not None:
            ids = [i for i in ids if i > start]
        page = ids[:limit]
        answer: dict[str, Any] = {
            "vectors": [{"id": i} for i in page],
            "namespace": namespace,
            "usage": {"readUnits": 1},
        }
        if len(ids) > limit:
            answer["pagination"] = {"next": base64.urlsafe_b64encode(page[-1].encode()).decode()}
        return answer

    def fetch(self, index: FakeIndex, query: dict[str, list[str]]) -> dict[str, Any]:
        namespace = query.get("namespace", [""])[0]
        ids = query.get("ids", [])
        if not 1 <= len(ids) <= MAX_VECTORS_PER_REQUEST:
            raise PineconeError(400, f"fetch takes 1 to {MAX_VECTORS_PER_REQUEST} ids")
        with self._lock:
            held = index.namespaces.get(namespace, {})
            found = {i: held[i] for i in ids if i in held}
        vectors = {
            i: {"id": i, "values": v.values, "metadata": v.metadata} for i, v in found.items()
        }
        return {"vectors": vectors, "namespace": namespace, "usage": {"readUnits": 1}}

    def describe_stats(self, index: FakeIndex) -> dict[str, Any]:
        with self._lock:
            namespaces = {ns: {"vectorCount": len(v)} for ns, v in index.namespaces.items()}
        return {
            "namespaces": namespaces,
            "dimension": index.dimension or 0,
            "indexFullness": 0.0,
            "totalVectorCount": sum(n["vectorCount"] for n in namespaces.values()),
            "metric": index.metric,
            "vectorType": index.vector_type,
        }

    def delete_namespace(self, index: FakeIndex, namespace: str) -> dict[str, Any]:
        with self._lock:
            if index.namespaces.pop(namespace, None) is None:
                raise PineconeError(404, f"Namespace {namespace} not found")
        return {}


def _require(body: Any, key: str, kind: type) -> Any:
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise PineconeError(400, f"'{key}' is required and must be a {kind.__name__}")
    return value


def _namespace(body: Any) -> str:
    namespace = body.get("namespace", "") if isinstance(body, dict) else ""
    if not isinstance(namespace, str) or len(namespace) > MAX_NAMESPACE_LENGTH:
        raise PineconeError(400, f"namespace must be a string of at most {MAX_NAMESPACE_LENGTH}")
    return namespace


def _sparse(raw: Any) -> dict[int, float]:
    if raw is None:
        return {}
    indices, values = raw.get("indices"), raw.get("values")
    if not isinstance(indices, list) or not isinstance(values, list) or len(indices) != len(values):
        raise PineconeError(400, "sparse values need 'indices' and 'values' of one length")
    if len(indices) > MAX_SPARSE_VALUES:
        raise PineconeError(
            400, f"Sparse vectors can contain at most {MAX_SPARSE_VALUES} non-zero values"
        )
    if len(set(indices)) != len(indices):
        raise PineconeError(400, "sparse indices must be unique")
    # Pinecone keeps sparse values as 32-bit floats: a client that needs them exact fails here.
    return {int(i): _float32(v) for i, v in zip(indices, values, strict=True)}


def _float32(value: Any) -> float:
    result: float = struct.unpack("f", struct.pack("f", float(value)))[0]
    return result


def _values(vector: FakeVector) -> dict[str, Any]:
    """A match's values as the data plane returns them: a sparse vector has no dense ones."""
    if not vector.sparse:
        return {"values": vector.values}
    indices = sorted(vector.sparse)
    return {
        "values": vector.values,
        "sparseValues": {"indices": indices, "values": [vector.sparse[i] for i in indices]},
    }


def _check_metadata(vector_id: str, metadata: Any) -> None:
    if not isinstance(metadata, dict):
        raise PineconeError(400, f"metadata of {vector_id!r} must be an object")
    size = len(json.dumps(metadata, separators=(",", ":")).encode())
    if size > MAX_METADATA_BYTES:
        raise PineconeError(
            400,
            f"Metadata size is {size} bytes, which exceeds the limit of {MAX_METADATA_BYTES} "
            f"bytes per vector ({vector_id!r})",
        )
    for key, value in metadata.items():
        fine = isinstance(value, str | int | float | bool) or (
            isinstance(value, list) and all(isinstance(item, str) for item in value)
        )
        if not fine:
            raise PineconeError(
                400,
                f"metadata value of {key!r} must be a string, number, boolean or list of "
                "strings (null and nested objects are not supported)",
            )


def _matches(metadata: dict[str, Any], query_filter: dict[str, Any]) -> bool:
    for key, condition in query_filter.items():
        if key == "$and":
            if not all(_matches(metadata, part) for part in condition):
                return False
        elif key == "$or":
            if not any(_matches(metadata, part) for part in condition):
                return False
        elif isinstance(condition, dict):
            if not all(_compare(metadata.get(key), op, arg) for op, arg in condition.items()):
                return False
        elif not _compare(metadata.get(key), "$eq", condition):
            return False
    return True


def _compare(value: Any, operator: str, argument: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    if operator == "$eq":
        return argument in values
    if operator == "$ne":
        return argument not in values
    if operator == "$in":
        return any(v in argument for v in values)
    if operator == "$nin":
        return not any(v in argument for v in values)
    if operator == "$exists":
        return (value is not None) is bool(argument)
    raise PineconeError(400, f"unsupported filter operator {operator!r}")


def _cosine(a: list[float], b: list[float]) -> float:
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norms = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norms if norms else 0.0


def _handler_for(fake: FakePinecone) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

        def _send(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            route = f"{method} /{'/'.join(['hosts', '*', *parts[2:]] if parts[0] == 'hosts' else parts)}"
            try:
                if self.headers.get("Api-Key") != fake.api_key:
                    raise PineconeError(401, "Invalid API Key")
                if length > MAX_REQUEST_BYTES:
                    raise PineconeError(
                        400,
                        f"Request size {length} bytes exceeds the limit of "
                        f"{MAX_REQUEST_BYTES} bytes",
                    )
                with fake._lock:
                    fake.largest_request_bytes = max(fake.largest_request_bytes, length)
                if fake.chaos.answer(self):
                    return
                body = json.loads(raw) if raw else {}
                answer = self._route(method, parts, body, parse_qs(url.query))
            except PineconeError as error:
                self._send(
                    error.status, {"error": {"message": error.message}, "status": error.status}
                )
                return
            except ValueError as error:
                self._send(400, {"error": {"message": f"bad request: {error}"}, "status": 400})
                return
            with fake._lock:
                fake.requests[route] += 1
            self._send(201 if route == "POST /indexes" else 200, answer)

        def _route(
            self, method: str, parts: list[str], body: Any, query: dict[str, list[str]]
        ) -> dict[str, Any]:
            if parts == ["indexes"] and method == "POST":
                return fake.create_index(body)
            if parts == ["indexes"] and method == "GET":
                with fake._lock:
                    names = list(fake.indexes)
                return {"indexes": [fake.describe_index(name) for name in names]}
            if len(parts) == 2 and parts[0] == "indexes" and method == "GET":
                return fake.describe_index(parts[1])
            if len(parts) >= 3 and parts[0] == "hosts":
                index = fake._index(parts[1])
                data_route = (method, "/".join(parts[2:]))
                if data_route == ("POST", "vectors/upsert"):
                    return fake.upsert(index, body)
                if data_route == ("POST", "query"):
                    return fake.query(index, body)
                if data_route == ("POST", "vectors/delete"):
                    return fake.delete(index, body)
                if data_route == ("GET", "vectors/list"):
                    return fake.list_ids(index, query)
                if data_route == ("GET", "vectors/fetch"):
                    return fake.fetch(index, query)
                if data_route == ("POST", "describe_index_stats"):
                    return fake.describe_stats(index)
                if method == "DELETE" and len(parts) == 4 and parts[2] == "namespaces":
                    return fake.delete_namespace(index, parts[3])
            raise PineconeError(404, f"no route {method} /{'/'.join(parts)}")

    return Handler
