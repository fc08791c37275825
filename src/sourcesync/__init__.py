"""sourcesync: durable, event-driven syncs of a team's knowledge into one vector store."""

__version__ = "0.1.0"
