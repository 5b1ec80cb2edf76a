"""How the graph is asked: the named questions in queries/ (named.py), result tables (results.py),
and graph walks (traverse.py)."""
