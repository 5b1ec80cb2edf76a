"""Write the ontology's HTML documentation (the build also writes it to build/docs/).

Usage: python scripts/ontology_docs.py [OUT.html]
"""

import sys
from pathlib import Path

from sdggraph import layout
from sdggraph.compile.ontology_docs import write

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else layout.build_dir() / "docs" / "ontology.html"
    print(f"Ontology documentation written to {write(out)}")
