"""sdggraph: a knowledge graph of how Asker kommune steers by the UN Sustainable Development Goals."""

__version__ = "0.1.0"
