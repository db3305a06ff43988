"""Commands as data: one module of command types per kind of case.

``command`` holds the bases (``CaseCommand``, ``CreateCommand``) and what a
command type declares; ``steps`` the steps several kinds share (rate, assign,
comment); ``values`` the input shapes commands share. Handlers live in
``ihanoi_core.handlers``.
"""
