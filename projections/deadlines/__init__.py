"""The deadline watcher (issue #16): the running clocks and the worker that acts on them."""
