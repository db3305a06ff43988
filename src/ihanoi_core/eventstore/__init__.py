"""The event-store layer: how events reach the store and come back.

Everything here sits between the ``Ihanoi`` application and ``eventsourcing``'s
persistence; the domain never imports it (``tests/unit/test_import_rules.py``).

- ``settings_env``: ihanoi's settings → the library's environment mapping;
- ``urls``: ``IHANOI_DATABASE_URL`` → a file path, ``POSTGRES_*`` keys, libpq;
- ``sqlite``: the SQLite recorder and factory (lean hot paths); ``wal``: its
  write-ahead log kept under a bound;
- ``postgres``: the PostgreSQL recorder whose insert commits in position order,
  and the lock under which tables are created;
- ``postgres_sessions``: what its pools and the keys' do about sessions the
  server ended;
- ``transcoder`` (with its encoding walk in ``encoding``): exact orjson payloads;
- ``mapper``: stored event → domain event, per-topic work done once;
- ``mutate``: replaying a stream's events onto its aggregate;
- ``cache``: recently used cases, fast-forwarded on every load;
- ``probe``: one start-up check that the configured store opens.

Where this layer bypasses the library's public API for speed, a comment at the
spot says why and names the ``make bench`` figure that shows it pays (ours
against the library's own path, in ``benchmarks/bypasses.py``);
``tests/integration/test_eventstore_contract.py`` runs the library's own
recorder and transcoder test cases against our subclasses, so a library
upgrade that breaks them fails loudly.
"""
