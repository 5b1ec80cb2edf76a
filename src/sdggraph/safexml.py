"""Refuse XML with a document type declaration before any RDF/XML parser sees it.

A DTD can declare entities that expand exponentially (the 965-byte "billion laughs" makes
gigabytes) or name external files. Both rdflib's and Oxigraph's RDF/XML parsers expand internal
entities, and RDF/XML needs no DTD, so a document with one is refused at once, with its line.
Only the prolog is read: expat stops at the first element, so the check costs nothing.
"""

from __future__ import annotations

import io
import xml.parsers.expat


class DoctypeRefused(ValueError):
    def __init__(self, line: int):
        self.line = line
        super().__init__(f"line {line}: the document has a DTD (<!DOCTYPE …>); DTDs and entity declarations "
                         "are refused (entity expansion could exhaust memory) — RDF/XML needs none")


class _Prolog(Exception):
    pass


def refuse_doctype(source) -> None:
    """Raise DoctypeRefused if the XML (bytes, or a binary file) declares a DTD; other errors are
    left to the real parser."""
    parser = xml.parsers.expat.ParserCreate()

    def doctype(*_):
        raise DoctypeRefused(parser.CurrentLineNumber)

    def element(*_):
        raise _Prolog()

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype  # cannot occur outside a DTD; refused all the same
    parser.StartElementHandler = element
    handle = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        parser.ParseFile(handle)
    except _Prolog:
        pass
    except xml.parsers.expat.ExpatError:
        pass  # not well-formed: the RDF/XML parser reports it with its own message
