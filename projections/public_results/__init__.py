"""The public results read model (issue #13 item 3): how field reports were
handled, as anyone may see it.

``facts``: how events fill its two tables — one fact row per report (where it
was filed, how, for which agency, when and whether on time it was resolved, its
rating) and one row per public step of a report's timeline (submitted,
acknowledged, resolved … with the time and the agency's public words, never
who acted); ``figures``: the model (``PublicResultsModel``), the public
statistics over the fact rows with their minimum-volume rule, and the timeline
query. Field reports are public; complaints, denunciations and dossiers never
reach this model.
"""
