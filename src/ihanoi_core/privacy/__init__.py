"""Data subjects' rights over the personal data in the log (docs/privacy.md).

- ``holds``: the directory's retention rules applied to a subject's cases;
- ``erasure``: requests, decisions and the erasure itself (the subject's data
  key destroyed, ``SubjectErased`` and one ``PersonalDataErased`` per case
  recorded), as commands of the ``Ihanoi`` application (``PrivacyCommands``);
- ``consent``: consent to purposes beyond case handling, given and withdrawn
  by the citizen (``ConsentCommands``), and ``has_consent`` for the channels;
- ``export``: every personal datum held about a subject, and every case it
  appears in, as plain JSON-ready data (the right of access and provision).

Which fields are personal is declared on the events (``domain.personal``); how
they are sealed is the event store's (``eventstore.sealing``, ``eventstore.keys``).
"""
