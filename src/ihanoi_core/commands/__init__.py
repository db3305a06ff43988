"""Application commands, one module per kind of case, mixed into ``Ihanoi``."""
