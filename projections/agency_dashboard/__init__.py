"""The agency dashboard read model (DESIGN §5, notes §6.7).

``facts``: how events fill one fact row per case (``RULES``: what
acknowledges, resolves and closes each kind of case); ``figures``: the model
(``AgencyDashboardModel``), the figures a leader watches and their SQL over a
cohort of rows.
"""
