"""The interface every embedding model offers."""

from collections.abc import Sequence
from typing import Protocol

__all__ = ["Embedder", "Tokenizer"]


class Tokenizer(Protocol):
    """Measures text in a model's tokens, special tokens excluded.

    `token_spans` gives the `(start, end)` character offsets of each token, which lets a
    chunker tokenize a document once and cut it at token boundaries.
    """

    def count_tokens(self, text: str) -> int: ...

    def token_spans(self, text: str) -> Sequence[tuple[int, int]]: ...


class Embedder(Tokenizer, Protocol):
    """An embedding model: turns texts into unit-length vectors of `dimension` floats.

    `max_tokens` is the longest input, in `count_tokens` tokens, that the model reads
    whole; the room its special tokens take is already subtracted.
    """

    @property
    def model_name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Return one normalized vector per text, in order."""
        ...
