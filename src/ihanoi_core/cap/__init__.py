"""OASIS CAP 1.2 for alerts: writing each issued message (``render``), the
Atom index of alerts in force (``atom``) and reading untrusted CAP from an
upstream authority into a draft (``parse``, hardened with ``defusedxml``)."""
