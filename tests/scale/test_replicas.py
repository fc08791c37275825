"""Beyond one machine: the same 500-file GitHub sync on the single-machine stack (SQLite,
LanceDB, embedded engine) and on the distributed one (PostgreSQL, Pinecone, a standalone
engine calling two `serve --engine inngest` replicas behind a round-robin proxy, one of them
SIGKILLed mid-sync) ends with the same metrics and the same search results by vectors, by
keywords (Pinecone ranks by BM25 as LanceDB does: `sourcesync.stores.pinecone_keywords`) and
hybrid.

Each replica has a home of its own: whatever the second stack shares, it shares through
PostgreSQL, Pinecone and the engine, never a disk.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from sourcesync.stores.namespaces import namespace_for
from tests.fakes.github import FakeGitHub, GitRepo
from tests.fakes.openai_embeddings import FakeOpenAIEmbeddings
from tests.fakes.pinecone import FakePinecone
from tests.postgres import fresh_schema, reachable_postgres_url
from tests.processes import free_port, wait_until
from tests.round_robin_proxy import RoundRobinProxy
from tests.serve_process import REPO_ROOT, Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(600)]

FILES = 500
DIMENSION = 16
TOKEN = "ghp_replicas0123456789"
MODEL = "fake-embedding"
QUERIES = ["item 343 of the ledger", "note 17", "retry the harbor schedule", "ferry"]
CLI = (sys.executable, "-m", "sourcesync.cli")
ENDED = ("completed", "completed_with_errors", "failed", "cancelled")


def build_repo(path: Path) -> GitRepo:
    """Notes of as many lengths as there are notes (their tallies), so that no two notes
    tie by keywords: LanceDB returns equal scores in no set order, and a ranking that
    depends on the order of ties could not be the same on two stacks."""
    repo = GitRepo.init(path)
    files = {
        f"notes/{n:03}.md": f"# Note {n}\n\nNote {n} is about item {n * 7} of the ledger.\n"
        + ("\n## Harbor\n\nThe ferry leaves at dawn; retry the schedule.\n" * (n % 3))
        + f"\nTally: {' '.join(['mark'] * n)}\n"
        for n in range(FILES)
    }
    repo.write(files)
    repo.commit("notes")
    return repo


def api(base_url: str, token: str, method: str, path: str, **options: Any) -> Any:
    response = httpx.request(
        method,
        f"{base_url}{path}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
        **options,
    )
    assert response.status_code < 300, response.text
    return response.json()


def start_sync(base_url: str, token: str) -> str:
    job_id: str = api(base_url, token, "POST", "/api/sync", json={"source": "widgets"})["jobId"]
    return job_id


def wait_for_end(base_url: str, token: str, job_id: str) -> dict[str, Any]:
    def ended() -> bool:
        return api(base_url, token, "GET", f"/api/jobs/{job_id}")["status"] in ENDED

    wait_until(ended, f"job {job_id} did not end", timeout=300)
    job: dict[str, Any] = api(base_url, token, "GET", f"/api/jobs/{job_id}")
    return job


def search_results(base_url: str, token: str) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each query's files by mode; ids and links name sources, which differ by stack."""
    results = {}
    for query in QUERIES:
        for mode in ("vector", "keyword", "hybrid"):
            hits = api(
                base_url, token, "GET", "/api/search", params={"q": query, "k": 10, "mode": mode}
            )
            results[(query, mode)] = [
                {key: hit[key] for key in ("location", "title", "score", "snippet", "lines")}
                for hit in hits
            ]
    return results


def test_replicas_on_postgres_and_pinecone_match_the_single_machine_stack(
    tmp_path: Path,
) -> None:
    admin_url = reachable_postgres_url()
    repo = build_repo(tmp_path / "widgets")
    with (
        FakeGitHub(repo, token=TOKEN) as github,
        FakeOpenAIEmbeddings(dimension=DIMENSION, latency_s=0.3) as embeddings,
        FakePinecone() as pinecone,
        fresh_schema(admin_url) as database_url,
    ):
        common = {
            "SOURCESYNC_GITHUB_API_URL": github.api_url,
            "SOURCESYNC_GITHUB_RAW_URL": github.raw_url,
            "SOURCESYNC_EMBEDDER": "openai",
            "SOURCESYNC_EMBEDDINGS_URL": embeddings.base_url,
            "SOURCESYNC_EMBEDDINGS_MODEL": MODEL,
            "SOURCESYNC_EMBEDDINGS_DIMENSION": str(DIMENSION),
            "SOURCESYNC_REPLICAS_TOKEN": TOKEN,
            "OPENAI_API_KEY": "sk-replicas-test",
            "SOURCESYNC_BATCH_SIZE": "50",
            "SOURCESYNC_BATCH_CONCURRENCY": "10",
        }
        add_source = ("sources", "add", "github", "octo/widgets", "--no-sync")
        add_source += ("--token-env", "SOURCESYNC_REPLICAS_TOKEN")

        # The single-machine stack.
        single = Server(tmp_path / "single", **common)
        single.cli(*add_source)
        single.start()
        try:
            token = (single.home / "api-token").read_text().strip()
            single_job = wait_for_end(single.url, token, start_sync(single.url, token))
            single_results = search_results(single.url, token)
        finally:
            single.stop()

        # The distributed stack: everything shared lives in PostgreSQL, Pinecone, the engine.
        engine_port = free_port()
        engine_url = f"http://127.0.0.1:{engine_port}"
        distributed = common | {
            "SOURCESYNC_DATABASE_URL": database_url,
            "SOURCESYNC_VECTOR_STORE": "pinecone",
            "SOURCESYNC_PINECONE_HOST": pinecone.control_url,
            "PINECONE_API_KEY": pinecone.api_key,
            "INNGEST_SIGNING_KEY": "signkey-prod-" + secrets.token_hex(32),
            "INNGEST_EVENT_KEY": secrets.token_hex(16),
            "INNGEST_API_BASE_URL": engine_url,
            "INNGEST_EVENT_API_BASE_URL": engine_url,
        }
        replicas = [
            Server(tmp_path / name, "--engine", "inngest", **distributed) for name in ("a", "b")
        ]
        replicas[0].cli(*add_source)
        log = (tmp_path / "engine.log").open("ab")
        state = str(tmp_path / "engine" / "state.db")
        engine = subprocess.Popen(
            [*CLI, "engine", "--port", str(engine_port), "--state", state],
            env=os.environ | distributed | {"SOURCESYNC_HOME": str(tmp_path / "engine")},
            cwd=REPO_ROOT,
            stdout=log,
            stderr=log,
        )
        try:
            wait_until(lambda: _answers(f"{engine_url}/health"), "the engine did not start")
            for replica in replicas:
                replica.start()
            with RoundRobinProxy([replica.url for replica in replicas]) as proxy:
                registered = httpx.put(f"{proxy.url}/api/inngest", timeout=30)
                assert registered.status_code == 200, registered.text
                token = (replicas[0].home / "api-token").read_text().strip()
                job_id = start_sync(proxy.url, token)

                def under_way() -> bool:
                    job = api(proxy.url, token, "GET", f"/api/jobs/{job_id}")
                    assert job["status"] not in ENDED, "the sync ended before the kill"
                    return bool(job["metrics"]["filesProcessed"] >= 100)

                wait_until(under_way, "the sync did not get under way", timeout=120)
                served_before_kill = Counter(proxy.served)
                replicas[1].kill()
                replicated_job = wait_for_end(proxy.url, token, job_id)
                replicated_results = search_results(proxy.url, token)
        finally:
            for replica in replicas:
                replica.stop()
            engine.terminate()
            engine.wait(timeout=20)
        vectors = pinecone.vectors("sourcesync", namespace_for("default", MODEL))

    assert all(served_before_kill[replica.url] > 0 for replica in replicas), served_before_kill
    assert single_job["status"] == replicated_job["status"] == "completed", replicated_job
    assert single_job["metrics"]["filesProcessed"] == FILES
    assert replicated_job["metrics"] == single_job["metrics"]
    chunk_ids = [vector.metadata["chunk_id"] for vector in vectors.values()]
    assert len(chunk_ids) == len(set(chunk_ids)) == single_job["metrics"]["embeddingsCreated"]
    assert len({vector.metadata["document_id"] for vector in vectors.values()}) == FILES
    for key, expected in single_results.items():
        assert expected, key
        found = replicated_results[key]
        assert [hit["location"] for hit in found] == [hit["location"] for hit in expected], key
        if key[1] == "keyword":
            # BM25 scores: LanceDB's in 32-bit floats, Pinecone's re-scored in 64.
            for hit, hit_expected in zip(found, expected, strict=True):
                assert hit["score"] == pytest.approx(hit_expected["score"], rel=1e-5), key
                assert hit | {"score": 0} == hit_expected | {"score": 0}, key
        else:
            assert found == expected, key


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
