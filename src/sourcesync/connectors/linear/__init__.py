"""Linear: issues and projects, with their comments and relationships, as documents.

`LinearSource` lists and fetches (full, incremental, by id, ids only), `LinearClient`
speaks GraphQL to Linear, and `parse_webhook` verifies and reads webhook deliveries.

The package imports nothing: the core reads `spec` (through the registry) and loads the
clients only when it opens a source, so commands that open none start fast.
"""
