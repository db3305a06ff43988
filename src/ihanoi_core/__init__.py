"""ihanoi core: the write side."""
