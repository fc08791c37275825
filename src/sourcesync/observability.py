"""Prometheus metrics of one sourcesync app process (`/metrics` on `sourcesync serve`).

Syncs by status, files and chunks processed and the queue depth are read from the database
when scraped, so every replica reports the same totals (aggregate them with `max`, not
`sum`) and a replica that restarts loses nothing. Embed latency and webhook deliveries are
this process's own (aggregate them with `sum`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from enum import StrEnum

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session

from sourcesync import db

__all__ = ["CONTENT_TYPE_LATEST", "AppMetrics", "WebhookResult", "webhook_result"]

_EMBED_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class WebhookResult(StrEnum):
    ACCEPTED = "accepted"
    """Verified and turned into events (possibly for no source)."""
    ANSWERED = "answered"
    """A handshake or a reply the source asked for (a URL verification challenge, say)."""
    UNSIGNED = "unsigned"
    """No configured source's secret verifies its signature."""
    REFUSED = "refused"
    """Too large, malformed, or of no source type with webhooks."""


def webhook_result(status: int) -> WebhookResult:
    """What a webhook answer's status says about the delivery."""
    if status == 202:
        return WebhookResult.ACCEPTED
    if status == 401:
        return WebhookResult.UNSIGNED
    if status < 300:
        return WebhookResult.ANSWERED
    return WebhookResult.REFUSED


class AppMetrics:
    """The process's registry: its own histogram and counter, and the database's totals."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.embed_seconds = Histogram(
            "sourcesync_embed_seconds",
            "Time one call to the embedder took, by this process.",
            buckets=_EMBED_BUCKETS,
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "sourcesync_webhook_deliveries",
            "Webhook deliveries this process answered, by source type and result.",
            ["source_type", "result"],
            registry=self.registry,
        )

    def read_database(self, reading: Callable[[], AbstractContextManager[Session]]) -> None:
        """Report the database's totals; ``reading`` opens a read-only session."""
        self.registry.register(_DatabaseTotals(reading))

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format (blocks: it queries the database)."""
        return generate_latest(self.registry)


class _DatabaseTotals(Collector):
    def __init__(self, reading: Callable[[], AbstractContextManager[Session]]) -> None:
        self._reading = reading

    def describe(self) -> list[Metric]:
        return []  # no queries at registration

    def collect(self) -> Iterator[Metric]:
        with self._reading() as session:
            by_status = db.job_counts_by_status(session)
            totals = db.work_totals(session)
            pending = db.pending_batch_count(session)
        syncs = GaugeMetricFamily(
            "sourcesync_syncs", "Sync jobs in the database, by status.", labels=["status"]
        )
        for status, count in by_status.items():
            syncs.add_metric([str(status)], count)
        yield syncs
        for name, documentation, value in (
            (
                "sourcesync_files_processed",
                "Files processed by every sync.",
                totals.files_processed,
            ),
            ("sourcesync_files_failed", "Files that failed in every sync.", totals.files_failed),
            (
                "sourcesync_documents_processed",
                "Documents chunked, embedded and stored by every sync.",
                totals.documents_processed,
            ),
            (
                "sourcesync_chunks_embedded",
                "Chunks embedded and stored by every sync.",
                totals.embeddings_created,
            ),
        ):
            yield CounterMetricFamily(name, documentation, value=value)
        yield GaugeMetricFamily(
            "sourcesync_queue_depth",
            "Batches of running syncs waiting to be processed.",
            value=pending,
        )
