"""A benchmark-only embedder that does no work, so a bench measures everything else."""

from __future__ import annotations

from collections.abc import Sequence

from sourcesync.embeddings import ApproximateTokenizer


class NoopEmbedder(ApproximateTokenizer):
    """Unit vectors for every text, instantly; token counts from the approximate counter."""

    model_name = "noop"
    dimension = 384
    max_tokens = 256

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        vector = [1.0] + [0.0] * (self.dimension - 1)
        return [vector for _ in texts]
