"""Reports over the built graph: the coverage-gap report's facts (coverage.py) and its HTML,
Markdown, CSV and JSON forms (render.py)."""
