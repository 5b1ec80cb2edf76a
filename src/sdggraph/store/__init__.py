"""How the built graph is stored and reached: the local build (local.py: pyoxigraph for queries,
rdflib for checks and exports), a remote SPARQL endpoint (remote.py), and upload to one (push.py)."""
