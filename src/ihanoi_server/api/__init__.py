"""The HTTP API under ``/api/v1``: one module per resource (parse → call the
application or a query → render), and ``commands``, which derives every
command route from the core's command types."""
