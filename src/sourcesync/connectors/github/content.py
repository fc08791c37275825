"""File content from GitHub's raw host, several downloads at a time.

Raw downloads do not count against the REST quota, but they are rate limited too; the
first failure stops the downloads not yet started and is raised as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from urllib.parse import quote

from .client import GitHubClient


def download_files(
    client: GitHubClient, commit: str, paths: Sequence[str]
) -> dict[str, bytes | None]:
    """Bytes of each file at ``commit`` by path; None for a file the raw host does not have.

    Runs at most ``client.concurrency`` downloads at once, on the client's pooled
    connections; call it from a worker thread, never from an event loop.
    """
    unique = list(dict.fromkeys(paths))
    if not unique:
        return {}
    workers = min(client.concurrency, len(unique))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="github-raw") as pool:
        futures = {path: pool.submit(_download, client, commit, path) for path in unique}
        try:
            for future in as_completed(futures.values()):
                future.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return {path: future.result() for path, future in futures.items()}


def _download(client: GitHubClient, commit: str, path: str) -> bytes | None:
    url_path = f"/{client.owner}/{client.name}/{commit}/{quote(path)}"
    return client.raw_bytes(url_path, what=f"{path} at {commit[:12]} of {client.full_name}")
