"""Connectors: one package per source (client, pagination, transform to ``Document``)."""
