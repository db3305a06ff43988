"""Who is calling: bearer tokens (``tokens``), the identity provider's tokens and
claims (``identity_provider``) with its cached key set (``jwks``), browser sessions
and stream tickets (``sessions``), what the session cookie authenticates and the
CSRF checks (``session_cookie``), and spent one-time credentials (``spent``)."""
