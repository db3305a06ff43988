"""The read side's engine: how changes are read, applied, tracked, rebuilt and tailed.

``changes`` reads each event with its aggregate before and after; ``base`` is
what a read model is and ``rows`` how its rows come back as dataclasses;
``database`` holds the read models' SQL and positions; ``projector`` applies
batches exactly once, ``runner`` and ``following`` keep it up with the log;
``rebuild``, ``replay`` and ``check`` rebuild and verify read models;
``live_tail`` derives the case changes that streams follow. The read models
themselves, and their registry (``ihanoi_projections.read_side``), live
beside this package.
"""
