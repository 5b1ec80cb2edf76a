"""Where facts enter: find and parse ontology/ and data/, compile the CSV tables to RDF, infer with
OWL-RL, and write the build directory (build.py)."""
