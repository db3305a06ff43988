"""What the log holds, described and kept loadable.

``catalogue`` lists every event class with its fields (``docs/events.md`` is
generated from it); ``topics`` registers the old topics of classes that moved,
so events stored under them still load. How an event is encoded and decoded
is the event store's (``ihanoi_core.eventstore``: ``transcoder``, ``mapper``).
"""
