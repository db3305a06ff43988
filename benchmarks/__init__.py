"""`make bench`: throughput figures beside ceilings measured in the same run."""
