"""How facts are checked: SHACL validation (validate.py) and the *-violation queries (violations.py)."""
