"""A Vercel account or team as a source of documents: deployments with their build logs,
and projects with their env var names and build performance.

A full sync walks each project's last ``keep`` deployments. An incremental sync lists the
projects (cheap: one page per 100) and the deployments created since the cursor (less an
overlap, since Vercel lists late), re-reads the deployments that were still building, and
for every project touched by any of these lists its retained window again: new
deployments are stored, those that left the window (deleted, or older than the ``keep``
newest) are deleted, and the project document is recomputed. The cursor remembers each
project's retained deployments, so removals are found without the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sourcesync.documents import Document

from ..document_source import DocumentBatch
from ..errors import SourceConfigError
from ..spec import SourceCursor
from .build_log import BuildLog, read_events
from .client import VercelClient
from .cursor import VercelCursor
from .errors import VercelNotFoundError
from .ids import vercel_build_log_id, vercel_deployment_id, vercel_project_id
from .models import Deployment, EnvVar, Project
from .pagination import iter_pages
from .redaction import Redactor
from .settings import DEFAULT_KEEP, FINAL_STATES, VercelSettings
from .stats import build_stats
from .transform import build_log_document, deployment_document, project_document

__all__ = ["VercelSource"]

BATCH_DOCUMENTS = 100


@dataclass
class _ProjectState:
    project: Project
    retained: list[Deployment]


class VercelSource:
    """The deployments and projects of one Vercel account or team, as documents."""

    def __init__(
        self,
        *,
        workspace_id: str,
        source_id: str,
        settings: VercelSettings,
        client: VercelClient | None = None,
        projects: Sequence[str] = (),
        keep: int = DEFAULT_KEEP,
        build_logs: bool = True,
    ) -> None:
        if keep < 1:
            raise SourceConfigError(f"--keep must be at least 1, got {keep}")
        self.workspace_id = workspace_id
        self.source_id = source_id
        self.settings = settings
        self.client = client or VercelClient(settings)
        self.projects = tuple(projects)
        self.keep = keep
        self.build_logs = build_logs
        self._live: set[str] | None = None

    def close(self) -> None:
        self.client.close()

    # -- validation ---------------------------------------------------------------------

    def validate(self) -> str:
        """Check the token, the team and the projects; say who and what was found."""
        body = self.client.get("/v2/user", what="the token's user", team=False)
        user = body.get("user") or {}
        who = str(user.get("username") or user.get("email") or user.get("id") or "unknown user")
        team = self.settings.team
        if team:
            try:
                found = self.client.get(f"/v2/teams/{team}", what=f"team {team}", team=False)
            except VercelNotFoundError:
                raise SourceConfigError(
                    f"Vercel has no team {team!r} visible to {who}: check --team (a team id "
                    f"like team_... or its slug) and the token in {self.settings.token_env}"
                ) from None
            who += f" in team {found.get('slug') or found.get('name') or team}"
        projects = self._list_projects(strict=True)
        names = ", ".join(p.name for p in projects) or "no projects yet"
        return f"{who}: {len(projects)} project(s): {names}"

    # -- DocumentSource -----------------------------------------------------------------

    def changes(self, cursor: SourceCursor | None) -> Iterator[DocumentBatch]:
        """Everything when ``cursor`` is None, else what changed since (module docstring)."""
        if isinstance(cursor, VercelCursor):
            yield from self._incremental(cursor)
        else:
            yield from self._full()

    def live_ids(self) -> set[str]:
        """Every document a full sync stores (computed by the full sync when it ran here)."""
        if self._live is None:
            for _ in self._full():
                pass
        assert self._live is not None
        return set(self._live)

    # -- full -------------------------------------------------------------------------------

    def _full(self) -> Iterator[DocumentBatch]:
        live: set[str] = set()
        states: dict[str, _ProjectState] = {}
        for project in self._list_projects():
            retained = self._retained(project.id)
            states[project.id] = _ProjectState(project, retained)
            documents = self._project_documents(project, retained, retained)
            live.update(d.id for d in documents)
            yield from _batches(documents)
        self._live = live
        yield DocumentBatch(documents=(), cursor=self._cursor(states, None))

    # -- incremental ------------------------------------------------------------------------

    def _incremental(self, cursor: VercelCursor) -> Iterator[DocumentBatch]:
        overlap = self.settings.overlap_ms
        projects = {p.id: p for p in self._list_projects()}
        deleted: list[str] = []
        for gone in sorted(set(cursor.projects) - set(projects)):
            deleted.append(vercel_project_id(gone))
            deleted += _deployment_names(cursor.projects[gone])
        affected = {
            pid
            for pid, project in projects.items()
            if pid not in cursor.projects or project.updated_at >= cursor.projects_updated - overlap
        }
        since = max(0, cursor.since - overlap)
        for page in iter_pages(
            self.client,
            "/v6/deployments",
            "deployments",
            what="recent deployments",
            params={"since": since},
            page_size=self.settings.page_size,
        ):
            for item in page:
                deployment = Deployment.model_validate(item)
                if deployment.project_id in projects:
                    affected.add(deployment.project_id)
        refresh: set[str] = set()
        gone_uids: set[str] = set()
        for uid in cursor.pending:
            try:
                item = self.client.get(f"/v13/deployments/{uid}", what=f"deployment {uid}")
            except VercelNotFoundError:
                deleted += _deployment_names([uid])
                gone_uids.add(uid)
                continue
            deployment = Deployment.model_validate(item)
            refresh.add(uid)
            if deployment.project_id in projects:
                affected.add(deployment.project_id)
        states: dict[str, _ProjectState] = {}
        for pid in sorted(affected, key=lambda p: (projects[p].updated_at, p)):
            project = projects[pid]
            retained = self._retained(pid)
            states[pid] = _ProjectState(project, retained)
            known = set(cursor.projects.get(pid, ()))
            current = {d.uid for d in retained}
            fresh = [d for d in retained if d.uid not in known or d.uid in refresh]
            deleted += _deployment_names(sorted(known - current))
            yield from _batches(self._project_documents(project, retained, fresh))
        yield DocumentBatch(
            documents=(),
            deleted_ids=list(dict.fromkeys(deleted)),
            cursor=self._cursor(states, cursor, keep=set(projects), gone=gone_uids),
        )

    # -- reading ----------------------------------------------------------------------------

    def _list_projects(self, *, strict: bool = False) -> list[Project]:
        """The source's projects. A project named by ``--project`` that is missing fails
        validation (``strict``); during a sync it counts as removed, so its documents go."""
        if self.projects:
            found = []
            for name in self.projects:
                try:
                    item = self.client.get(f"/v9/projects/{name}", what=f"project {name}")
                except VercelNotFoundError:
                    if not strict:
                        continue
                    scope = f"team {self.settings.team!r}" if self.settings.team else "this account"
                    raise SourceConfigError(
                        f"Vercel has no project {name!r} in {scope}: check --project (a project "
                        f"name or id) and --team"
                    ) from None
                found.append(Project.model_validate(item))
            return found
        return [
            Project.model_validate(item)
            for page in iter_pages(
                self.client,
                "/v10/projects",
                "projects",
                what="projects",
                page_size=self.settings.page_size,
            )
            for item in page
        ]

    def _retained(self, project_id: str) -> list[Deployment]:
        """The project's ``keep`` newest deployments, newest first."""
        return [
            Deployment.model_validate(item)
            for page in iter_pages(
                self.client,
                "/v6/deployments",
                "deployments",
                what=f"deployments of project {project_id}",
                params={"projectId": project_id},
                page_size=min(self.settings.page_size, self.keep),
                limit=self.keep,
            )
            for item in page
        ]

    def _env(self, project: Project) -> list[EnvVar]:
        # decrypt=false: values are never asked for; EnvVar drops any that come anyway.
        body = self.client.get(
            f"/v10/projects/{project.id}/env",
            what=f"env var names of project {project.name}",
            params={"decrypt": "false"},
        )
        return [EnvVar.model_validate(e) for e in body.get("envs") or [] if isinstance(e, dict)]

    def _build_log(self, deployment: Deployment, redact: Redactor) -> BuildLog:
        events = self.client.get(
            f"/v3/deployments/{deployment.uid}/events",
            what=f"build log of deployment {deployment.uid}",
            params={"builds": 1, "direction": "forward", "limit": -1},
        )
        if isinstance(events, dict):  # some answers wrap the list
            events = events.get("events") or []
        return BuildLog(read_events(events if isinstance(events, list) else [], redact))

    def _project_documents(
        self, project: Project, retained: Sequence[Deployment], fresh: Sequence[Deployment]
    ) -> list[Document]:
        """Documents of ``fresh`` deployments (oldest first) and of the project."""
        env = self._env(project)
        redact = Redactor(e.key for e in env)
        documents: list[Document] = []
        for listed in sorted(fresh, key=lambda d: (d.created, d.uid)):
            deployment = _redacted(listed, redact)
            log: BuildLog | None = None
            finished = deployment.state in FINAL_STATES
            if finished and (self.build_logs or deployment.state == "ERROR"):
                log = self._build_log(deployment, redact)
            errors = log.error_lines() if log is not None and deployment.state == "ERROR" else []
            documents.append(
                deployment_document(
                    deployment,
                    project,
                    errors,
                    workspace_id=self.workspace_id,
                    source_id=self.source_id,
                )
            )
            if log is not None and self.build_logs and log.lines:
                documents.append(
                    build_log_document(
                        deployment,
                        project,
                        log.excerpt(self.settings.log_cap_chars, self.settings.log_context_lines),
                        line_count=len(log.lines),
                        warning_count=log.warning_count,
                        workspace_id=self.workspace_id,
                        source_id=self.source_id,
                    )
                )
        stats = build_stats(retained, self.settings.stats_window)
        documents.append(
            project_document(
                project, env, stats, workspace_id=self.workspace_id, source_id=self.source_id
            )
        )
        return documents

    def _cursor(
        self,
        states: dict[str, _ProjectState],
        previous: VercelCursor | None,
        keep: set[str] | None = None,
        gone: set[str] = frozenset(),  # type: ignore[assignment]
    ) -> VercelCursor:
        projects = {
            pid: [uid for uid in uids if uid not in gone]
            for pid, uids in (previous.projects if previous else {}).items()
            if keep is None or pid in keep
        }
        pending = set(previous.pending if previous else ()) - {
            d.uid for s in states.values() for d in s.retained
        }
        since = previous.since if previous else 0
        updated = previous.projects_updated if previous else 0
        for pid, state in states.items():
            projects[pid] = [d.uid for d in state.retained]
            pending.update(d.uid for d in state.retained if d.state not in FINAL_STATES)
            since = max([since, *(d.created for d in state.retained)])
            updated = max(updated, state.project.updated_at)
        known = {uid for uids in projects.values() for uid in uids}
        return VercelCursor(
            since=since,
            projects_updated=updated,
            pending=sorted(pending & known),
            projects=projects,
        )


def _batches(documents: list[Document]) -> Iterator[DocumentBatch]:
    """``documents`` in batches small enough for one transaction each (cursor unmoved)."""
    for start in range(0, len(documents), BATCH_DOCUMENTS):
        yield DocumentBatch(documents=documents[start : start + BATCH_DOCUMENTS])


def _redacted(deployment: Deployment, redact: Redactor) -> Deployment:
    """The deployment with its commit fields and error message redacted: a commit message
    can carry a token as well as a log line can."""
    return deployment.model_copy(
        update={
            "meta": {key: redact(value) for key, value in deployment.meta.items()},
            "error_message": redact(deployment.error_message) if deployment.error_message else None,
        }
    )


def _deployment_names(uids: Sequence[str]) -> list[str]:
    return [name for uid in uids for name in (vercel_deployment_id(uid), vercel_build_log_id(uid))]
