"""An embedder for any service that speaks OpenAI's `POST /v1/embeddings`.

OpenAI itself, Azure-style gateways, vLLM, Ollama, LM Studio, text-embeddings-inference:
the request is `{"model", "input": [...], "encoding_format": "float"}` and the answer a
list of `{"index", "embedding"}`. Transient failures (429, 5xx, timeouts, dropped
connections) are retried with backoff, honouring Retry-After; other 4xx fail at once with
the server's message. The API key is read from an environment variable whose name is
configured, and never appears in logs, reprs or error messages.
"""

import asyncio
import math
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from sourcesync.embeddings.approximate_tokens import ApproximateTokenizer
from sourcesync.embeddings.base import Tokenizer
from sourcesync.embeddings.errors import (
    EmbeddingConfigError,
    EmbeddingRequestRejected,
    EmbeddingResponseInvalid,
    EmbeddingServiceUnavailable,
)

__all__ = ["OpenAICompatibleEmbedder"]

_MAX_ERROR_CHARS = 500


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After, given either as seconds or as an HTTP date."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _server_message(response: httpx.Response) -> str:
    """The error message in OpenAI's `{"error": {"message": ...}}` shape, or the raw body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MAX_ERROR_CHARS] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            error = error.get("message") or error.get("detail")
        if isinstance(error, str) and error:
            return error[:_MAX_ERROR_CHARS]
    return response.text[:_MAX_ERROR_CHARS]


def _normalized(vector: list[float]) -> list[float]:
    norm = math.sqrt(math.fsum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else vector


class OpenAICompatibleEmbedder:
    """Embeds through an OpenAI-compatible embeddings endpoint.

    `base_url` is the API root including its version, as in OpenAI's clients
    (`https://api.openai.com/v1`); requests go to `{base_url}/embeddings`. `api_key_env`
    names the environment variable holding the key; leave it None for servers without
    authentication. Token counts come from `tokenizer`, by default an
    `ApproximateTokenizer` estimate, since the remote model's tokenizer is not at hand.
    Pass `http_client` to share a connection pool; otherwise each `embed` call opens one.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        dimension: int,
        api_key_env: str | None = None,
        max_tokens: int = 8191,
        batch_size: int = 128,
        timeout_s: float = 60.0,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        tokenizer: Tokenizer | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if dimension < 1 or max_tokens < 1 or batch_size < 1 or max_attempts < 1:
            raise ValueError("dimension, max_tokens, batch_size and max_attempts must be >= 1")
        self._url = f"{base_url.rstrip('/')}/embeddings"
        self._model = model
        self._dimension = dimension
        self._max_tokens = max_tokens
        self._batch_size = batch_size
        self._timeout = httpx.Timeout(timeout_s)
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._tokenizer: Tokenizer = tokenizer or ApproximateTokenizer()
        self._http_client = http_client
        self._sleep = sleep
        self._api_key_env = api_key_env
        self._api_key = self._read_api_key(api_key_env)

    @staticmethod
    def _read_api_key(api_key_env: str | None) -> str | None:
        if api_key_env is None:
            return None
        key = os.environ.get(api_key_env, "").strip()
        if not key:
            raise EmbeddingConfigError(
                f"the environment variable {api_key_env} holding the embeddings API key is "
                "not set; export it, or configure no key for a server without authentication"
            )
        return key

    def __repr__(self) -> str:
        return (
            f"OpenAICompatibleEmbedder(url={self._url!r}, model={self._model!r}, "
            f"dimension={self._dimension}, api_key_env={self._api_key_env!r})"
        )

    @property
    def model_name(self) -> str:
        return self._model

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return self._tokenizer.count_tokens(text)

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]:
        return self._tokenizer.token_spans(text)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._http_client is not None:
            return await self._embed_all(self._http_client, texts)
        async with httpx.AsyncClient(timeout=self._timeout) as client:
            return await self._embed_all(client, texts)

    async def _embed_all(
        self, client: httpx.AsyncClient, texts: Sequence[str]
    ) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            vectors.extend(await self._embed_batch(client, batch))
        return vectors

    def _headers(self) -> dict[str, str]:
        return {} if self._api_key is None else {"Authorization": f"Bearer {self._api_key}"}

    def _redacted(self, message: str) -> str:
        return message.replace(self._api_key, "***") if self._api_key else message

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so that many workers do not retry in step."""
        ceiling = min(self._max_backoff_s, self._backoff_s * 2.0 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    async def _embed_batch(self, client: httpx.AsyncClient, batch: list[str]) -> list[list[float]]:
        body = {"model": self._model, "input": batch, "encoding_format": "float"}
        failure = ""
        for attempt in range(1, self._max_attempts + 1):
            delay = self._backoff(attempt)
            try:
                response = await client.post(
                    self._url, json=body, headers=self._headers(), timeout=self._timeout
                )
            except httpx.TransportError as error:
                failure = f"{type(error).__name__}: {self._redacted(str(error))}"
            else:
                if response.is_success:
                    return self._vectors(response, len(batch))
                failure = (
                    f"HTTP {response.status_code}: {self._redacted(_server_message(response))}"
                )
                if response.status_code == 429:
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    delay = delay if retry_after is None else retry_after
                elif response.status_code < 500:
                    raise self._rejected(response)
            if attempt < self._max_attempts:
                await self._sleep(min(delay, self._max_backoff_s))
        raise EmbeddingServiceUnavailable(
            f"embedding request to {self._url} failed {self._max_attempts} times; last: {failure}"
        )

    def _rejected(self, response: httpx.Response) -> EmbeddingRequestRejected:
        message = self._redacted(_server_message(response))
        hint = ""
        if response.status_code in (401, 403):
            hint = (
                f" (check the API key in {self._api_key_env})"
                if self._api_key_env
                else " (the server wants an API key: configure api_key_env)"
            )
        return EmbeddingRequestRejected(
            response.status_code,
            f"{self._url} rejected the embedding request with HTTP "
            f"{response.status_code}: {message}{hint}",
        )

    def _vectors(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            items = response.json()["data"]
            by_index = {int(item["index"]): item["embedding"] for item in items}
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingResponseInvalid(
                f"{self._url} answered without a list of embeddings: {error!r}"
            ) from error
        if sorted(by_index) != list(range(expected)):
            raise EmbeddingResponseInvalid(
                f"{self._url} returned embeddings for indices {sorted(by_index)[:10]}, "
                f"expected 0..{expected - 1}"
            )
        vectors: list[list[float]] = []
        for index in range(expected):
            vector = by_index[index]
            if not isinstance(vector, list) or len(vector) != self._dimension:
                size = len(vector) if isinstance(vector, list) else type(vector).__name__
                raise EmbeddingResponseInvalid(
                    f"{self._url} returned a vector of {size} for model {self._model}; "
                    f"the store expects dimension {self._dimension}: fix the configured "
                    "dimension or model"
                )
            vectors.append(_normalized([float(x) for x in vector]))
        return vectors
