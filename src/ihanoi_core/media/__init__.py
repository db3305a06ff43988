"""Photos of cases: processing (``processing``) and storage (``store``)."""
