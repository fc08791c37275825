"""An example sourcesync source: each entry of an RSS 2.0 or Atom feed is a document.

Install it (``pip install -e examples/feed_source``) and ``sourcesync sources add feed URL``
appears; docs/ADDING_A_SOURCE.md walks through it.
"""
