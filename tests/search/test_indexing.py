"""What is embedded and keyword-indexed for a chunk."""

from sourcesync.embeddings import ApproximateTokenizer
from sourcesync.search import contextual_header, indexed_text, text_hash
from sourcesync.search.indexing import HEADER_TOKENS

TOKENS = ApproximateTokenizer()


def test_the_header_names_path_and_a_different_title() -> None:
    def header(title: str | None, path: str | None) -> str:
        return contextual_header(title=title, path=path, tokenizer=TOKENS)

    assert header("src/app.py", "src/app.py") == "src/app.py"
    assert header("Retry policy", "docs/retry.md") == "docs/retry.md · Retry policy"
    assert header("ENG-12 Drain the queue", None) == "ENG-12 Drain the queue"
    assert header(None, None) == ""


def test_a_long_header_keeps_the_end_of_the_path_within_its_budget() -> None:
    path = "/".join(f"folder{i}" for i in range(40)) + "/worker_pool.py"

    header = contextual_header(title=path, path=path, tokenizer=TOKENS)

    assert header.endswith("folder39/worker_pool.py")
    assert TOKENS.count_tokens(f"{header}\n\n") <= HEADER_TOKENS


def test_embedded_text_has_the_header_and_keywords_have_headings() -> None:
    indexed = indexed_text("src/worker_pool.py", ["Shutdown"], "def drain(self): ...")

    assert indexed.embedded == "src/worker_pool.py\n\ndef drain(self): ..."
    assert indexed.keywords == "src worker pool workerpool py shutdown def drain self"
    assert indexed.hash == text_hash("def drain(self): ...")
    assert indexed_text("moved/worker_pool.py", [], "def drain(self): ...").hash == indexed.hash
    assert indexed_text("", [], "text").embedded == "text"
