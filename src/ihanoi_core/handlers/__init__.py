"""Command handlers, one module per kind of case, and the bus that runs them.

``table`` maps each command type to its handler; importing a handler module
registers its handlers (the application imports them all); ``bus`` is the
write side of the ``Ihanoi`` application: ``handle(principal, command)``.
"""
