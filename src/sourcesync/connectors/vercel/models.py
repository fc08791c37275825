"""The parts of Vercel's API objects the connector reads, validated once.

Every model ignores fields it does not name, and ``EnvVar`` names no ``value``: whatever
the API answers (``decrypt=false`` still returns the text of ``plain`` variables), a value
is dropped at parsing and exists nowhere past this module.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Creator", "Deployment", "EnvVar", "GitCommit", "Project", "ProjectLink"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Creator(_Model):
    uid: str | None = None
    username: str | None = None
    email: str | None = None
    github_login: str | None = Field(default=None, alias="githubLogin")

    @property
    def display(self) -> str | None:
        return self.username or self.github_login or self.email or self.uid


class GitCommit(_Model):
    """Where a deployment was built from, read from the deployment's ``meta``."""

    provider: str
    org: str | None = None
    repo: str | None = None
    ref: str | None = None
    sha: str | None = None
    message: str | None = None
    author: str | None = None
    pr: str | None = None

    @property
    def repository(self) -> str | None:
        return f"{self.org}/{self.repo}" if self.org and self.repo else self.repo

    @property
    def web_url(self) -> str | None:
        """The commit's page when the provider is GitHub (the one whose URLs we know)."""
        if self.provider == "github" and self.org and self.repo and self.sha:
            return f"https://github.com/{self.org}/{self.repo}/commit/{self.sha}"
        return None


_PROVIDERS = ("github", "gitlab", "bitbucket")


class Deployment(_Model):
    """One deployment as ``/v6/deployments`` lists it (``uid``) or ``/v13`` returns it (``id``)."""

    uid: str
    name: str
    url: str | None = None
    state: str = "QUEUED"
    target: str | None = None
    project_id: str | None = Field(default=None, alias="projectId")
    created: int
    building_at: int | None = Field(default=None, alias="buildingAt")
    ready: int | None = None
    creator: Creator | None = None
    meta: dict[str, str] = Field(default_factory=dict)
    inspector_url: str | None = Field(default=None, alias="inspectorUrl")
    source: str | None = None
    error_code: str | None = Field(default=None, alias="errorCode")
    error_message: str | None = Field(default=None, alias="errorMessage")

    @model_validator(mode="before")
    @classmethod
    def _either_shape(cls, data: object) -> object:
        if isinstance(data, dict):
            data = dict(data)
            data.setdefault("uid", data.get("id"))
            data.setdefault("created", data.get("createdAt"))
            state = data.get("state") or data.get("readyState")
            if state:
                data["state"] = state
            meta = data.get("meta")
            if isinstance(meta, dict):
                data["meta"] = {str(k): str(v) for k, v in meta.items() if v is not None}
        return data

    @property
    def environment(self) -> str:
        """``production``, or ``preview`` for a deployment without a target."""
        return self.target or "preview"

    @property
    def build_ms(self) -> int | None:
        """How long the build took (building to ready), when it finished."""
        if self.building_at is None or self.ready is None or self.ready < self.building_at:
            return None
        return self.ready - self.building_at

    @property
    def git(self) -> GitCommit | None:
        for provider in _PROVIDERS:
            sha = self.meta.get(f"{provider}CommitSha")
            repo = self.meta.get(f"{provider}CommitRepo") or self.meta.get(f"{provider}Repo")
            if sha or repo:
                return GitCommit(
                    provider=provider,
                    org=self.meta.get(f"{provider}CommitOrg") or self.meta.get(f"{provider}Org"),
                    repo=repo,
                    ref=self.meta.get(f"{provider}CommitRef"),
                    sha=sha,
                    message=self.meta.get(f"{provider}CommitMessage"),
                    author=self.meta.get(f"{provider}CommitAuthorLogin")
                    or self.meta.get(f"{provider}CommitAuthorName"),
                    pr=self.meta.get(f"{provider}PrId"),
                )
        return None


class ProjectLink(_Model):
    type: str | None = None
    org: str | None = None
    repo: str | None = None
    production_branch: str | None = Field(default=None, alias="productionBranch")

    @property
    def repository(self) -> str | None:
        return f"{self.org}/{self.repo}" if self.org and self.repo else self.repo


class Project(_Model):
    id: str
    name: str
    framework: str | None = None
    created_at: int | None = Field(default=None, alias="createdAt")
    updated_at: int = Field(default=0, alias="updatedAt")
    link: ProjectLink | None = None
    domains: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _domains(cls, data: object) -> object:
        if isinstance(data, dict) and "domains" not in data:
            targets = data.get("targets")
            production = targets.get("production") if isinstance(targets, dict) else None
            aliases = production.get("alias") if isinstance(production, dict) else None
            data = {**data, "domains": [a for a in aliases or [] if isinstance(a, str)]}
        return data

    @property
    def production_domain(self) -> str | None:
        custom = [d for d in self.domains if not d.endswith(".vercel.app")]
        candidates = custom or self.domains
        return candidates[0] if candidates else None


class EnvVar(_Model):
    """An environment variable's NAME and where it applies; never its value."""

    key: str
    target: list[str] = Field(default_factory=list)
    type: str | None = None
    git_branch: str | None = Field(default=None, alias="gitBranch")

    @model_validator(mode="before")
    @classmethod
    def _targets(cls, data: object) -> object:
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if k != "value"}
            if isinstance(data.get("target"), str):
                data["target"] = [data["target"]]
        return data
