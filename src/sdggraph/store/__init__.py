"""How the built graph is stored and reached: the local build (local.py: pyoxigraph for queries,
rdflib for checks and exports; serving.py: as the service's workers open it), a remote SPARQL
endpoint (remote.py), and upload to one (push.py)."""

# Shared by remote.py, push.py and the CLI (which reads them without importing httpx).
TIMEOUT_S = 60.0  # give up on a request a remote store does not answer within this
AUTH_SCHEMES = ("auto", "basic", "digest")  # how `sdggraph push --auth` sends credentials
