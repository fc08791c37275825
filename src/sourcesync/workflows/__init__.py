"""The sync workflows: inngest-py functions laid out as the flow in DESIGN section 1.

They run unchanged on the embedded engine and on Inngest; ``functions.create_functions``
builds them all.
"""

APP_ID = "sourcesync"
