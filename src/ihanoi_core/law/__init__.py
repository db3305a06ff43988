"""Time as the law counts it: the working calendar (``calendar``), when a running
deadline's thresholds pass (``deadline_rules``), what counts as a rule's legal
source (``basis``), and the calendar and rules as printable tables (``tables``)."""
