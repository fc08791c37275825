import math
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from sourcesync.embeddings import (
    ApproximateTokenizer,
    Embedder,
    EmbeddingConfigError,
    EmbeddingRequestRejected,
    EmbeddingResponseInvalid,
    EmbeddingServiceUnavailable,
    OpenAICompatibleEmbedder,
)
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings, fake_vector

API_KEY = "sk-test-7f3a9c-secret"


class RecordedSleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector]


def make_embedder(
    server: FakeOpenAIEmbeddings, sleeps: RecordedSleeps | None = None, **overrides: object
) -> OpenAICompatibleEmbedder:
    options: dict[str, object] = {
        "base_url": server.base_url,
        "model": "text-embedding-3-small",
        "dimension": 8,
        "max_attempts": 3,
        "backoff_s": 1.0,
        "sleep": sleeps if sleeps is not None else RecordedSleeps(),
    }
    return OpenAICompatibleEmbedder(**(options | overrides))  # type: ignore[arg-type]


async def test_embeds_with_the_openai_request_shape(
    fake_openai: FakeOpenAIEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDDINGS_KEY", API_KEY)
    fake_openai.api_key = API_KEY
    embedder: Embedder = make_embedder(fake_openai, api_key_env="EMBEDDINGS_KEY")
    vectors = await embedder.embed(["alpha", "beta"])
    assert vectors[0] == pytest.approx(unit(fake_vector("alpha", 8)))
    assert vectors[1] == pytest.approx(unit(fake_vector("beta", 8)))
    [request] = fake_openai.requests
    assert request.path == "/v1/embeddings"
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body == {
        "model": "text-embedding-3-small",
        "input": ["alpha", "beta"],
        "encoding_format": "float",
    }


async def test_vectors_come_back_normalized_and_in_input_order(
    fake_openai: FakeOpenAIEmbeddings,
) -> None:
    fake_openai.reverse_order = True
    texts = ["one", "two", "three"]
    vectors = await make_embedder(fake_openai).embed(texts)
    assert vectors == [pytest.approx(unit(fake_vector(text, 8))) for text in texts]
    assert all(math.sqrt(sum(x * x for x in v)) == pytest.approx(1.0) for v in vectors)


async def test_inputs_are_sent_in_batches(fake_openai: FakeOpenAIEmbeddings) -> None:
    texts = [f"text {n}" for n in range(5)]
    vectors = await make_embedder(fake_openai, batch_size=2).embed(texts)
    assert [request.body["input"] for request in fake_openai.requests] == [
        texts[0:2],
        texts[2:4],
        texts[4:5],
    ]
    assert vectors[4] == pytest.approx(unit(fake_vector("text 4", 8)))
    assert await make_embedder(fake_openai).embed([]) == []
    assert len(fake_openai.requests) == 3


async def test_429_waits_as_long_as_retry_after_says(fake_openai: FakeOpenAIEmbeddings) -> None:
    sleeps = RecordedSleeps()
    fake_openai.fail_next(429, retry_after="7", message="Rate limit reached")
    vectors = await make_embedder(fake_openai, sleeps).embed(["x"])
    assert sleeps == [7.0]
    assert len(fake_openai.requests) == 2
    assert vectors == [pytest.approx(unit(fake_vector("x", 8)))]


async def test_retry_after_may_be_an_http_date(fake_openai: FakeOpenAIEmbeddings) -> None:
    sleeps = RecordedSleeps()
    when = datetime.now(UTC) + timedelta(seconds=30)
    fake_openai.fail_next(429, retry_after=format_datetime(when, usegmt=True))
    await make_embedder(fake_openai, sleeps).embed(["x"])
    [slept] = sleeps
    assert 25 <= slept <= 30


async def test_server_errors_are_retried_with_growing_backoff(
    fake_openai: FakeOpenAIEmbeddings,
) -> None:
    sleeps = RecordedSleeps()
    fake_openai.fail_next(500, times=2)
    await make_embedder(fake_openai, sleeps, max_attempts=4).embed(["x"])
    assert len(fake_openai.requests) == 3
    first, second = sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0


async def test_persistent_failure_gives_up_with_the_last_error(
    fake_openai: FakeOpenAIEmbeddings,
) -> None:
    sleeps = RecordedSleeps()
    fake_openai.fail_next(503, times=5, message="overloaded")
    with pytest.raises(EmbeddingServiceUnavailable, match=r"failed 3 times.*HTTP 503: overloaded"):
        await make_embedder(fake_openai, sleeps).embed(["x"])
    assert len(fake_openai.requests) == 3
    assert len(sleeps) == 2


async def test_timeouts_are_retried(fake_openai: FakeOpenAIEmbeddings) -> None:
    sleeps = RecordedSleeps()
    fake_openai.fail_next(200, delay_s=2.0)
    vectors = await make_embedder(fake_openai, sleeps, timeout_s=0.3).embed(["x"])
    assert len(sleeps) == 1
    assert vectors == [pytest.approx(unit(fake_vector("x", 8)))]


async def test_unreachable_server_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = RecordedSleeps()
    embedder = OpenAICompatibleEmbedder(
        base_url=f"http://127.0.0.1:{port}/v1",
        model="m",
        dimension=8,
        max_attempts=2,
        sleep=sleeps,
    )
    with pytest.raises(EmbeddingServiceUnavailable, match="ConnectError"):
        await embedder.embed(["x"])
    assert len(sleeps) == 1


async def test_bad_key_fails_at_once_naming_the_variable_not_the_key(
    fake_openai: FakeOpenAIEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMBEDDINGS_KEY", API_KEY)
    fake_openai.api_key = "sk-the-right-one"
    embedder = make_embedder(fake_openai, api_key_env="EMBEDDINGS_KEY")
    with pytest.raises(EmbeddingRequestRejected) as raised:
        await embedder.embed(["x"])
    assert raised.value.status_code == 401
    message = str(raised.value)
    assert "Incorrect API key provided" in message
    assert "EMBEDDINGS_KEY" in message
    assert API_KEY not in message
    assert API_KEY not in repr(embedder)
    assert len(fake_openai.requests) == 1


async def test_client_errors_carry_the_server_message(fake_openai: FakeOpenAIEmbeddings) -> None:
    fake_openai.fail_next(400, message="This model's maximum context length is 8192 tokens")
    with pytest.raises(EmbeddingRequestRejected, match="HTTP 400: This model's maximum") as raised:
        await make_embedder(fake_openai).embed(["x"])
    assert raised.value.status_code == 400
    assert len(fake_openai.requests) == 1


def test_a_missing_key_variable_is_reported_at_construction(
    fake_openai: FakeOpenAIEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMBEDDINGS_KEY", raising=False)
    with pytest.raises(EmbeddingConfigError, match="EMBEDDINGS_KEY"):
        make_embedder(fake_openai, api_key_env="EMBEDDINGS_KEY")


async def test_a_wrong_dimension_is_reported(fake_openai: FakeOpenAIEmbeddings) -> None:
    with pytest.raises(EmbeddingResponseInvalid, match=r"vector of 8.*dimension 16"):
        await make_embedder(fake_openai, dimension=16).embed(["x"])


async def test_a_shared_http_client_is_used(fake_openai: FakeOpenAIEmbeddings) -> None:
    async with httpx.AsyncClient() as client:
        embedder = make_embedder(fake_openai, http_client=client)
        first = await embedder.embed(["a"])
        second = await embedder.embed(["a"])
    assert first == second
    assert len(fake_openai.requests) == 2


def test_token_counts_are_an_approximation_unless_a_tokenizer_is_given(
    fake_openai: FakeOpenAIEmbeddings,
) -> None:
    embedder = make_embedder(fake_openai)
    assert embedder.count_tokens("tokenization rocks!") == 6  # toke|niza|tion rock|s !
    assert embedder.token_spans("ab cd") == [(0, 2), (3, 5)]
    assert embedder.max_tokens == 8191


def test_approximate_tokenizer_counts_non_ascii_characters_singly() -> None:
    tokenizer = ApproximateTokenizer()
    assert tokenizer.count_tokens("日本語") == 3
    assert tokenizer.count_tokens("café") == 2
    assert tokenizer.count_tokens("  \n ") == 0
