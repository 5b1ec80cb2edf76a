"""Errors that the CLI maps to its documented exit codes (1 check failed, 2 error)."""


class SdggraphError(Exception):
    """Bad input or environment: exit code 2."""

    exit_code = 2


class InputFileError(SdggraphError):
    """A data, ontology or shapes file could not be read; names the file and line."""

    def __init__(self, path, line, message):
        self.path, self.line, self.message = str(path), line, message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


class BuildMissingError(SdggraphError):
    def __init__(self, build_dir):
        super().__init__(f"no built graph in {build_dir}: run `sdggraph build` first")


class CheckFailed(Exception):
    """A check ran and found problems: exit code 1."""

    exit_code = 1


class InputsMissingError(SdggraphError):
    """The hand-edited inputs (ontology/, data/, shapes/, queries/) are not where they should be."""
