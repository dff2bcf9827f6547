"""A run's record: the plain dict written to the store as a run progresses, and an operator's
traceback as its author reads it.

Every change of a run's or an operator's state is decided by one function with one table of
allowed transitions, :mod:`flowlab.store.transitions`; it lives in the store, below core,
because every listing of every store applies it (a run whose lease lapsed reads failed
without anyone opening it).
"""
