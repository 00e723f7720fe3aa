"""One exception hierarchy for flockwatch.

    FlockwatchError                      base; never raised directly
    ├── UserError                        the caller can fix it (CLI exit code 2)
    │   ├── WorkspaceError               missing, outdated, newer or corrupt workspace
    │   ├── InputFileError               a file is missing, unreadable, or of an unknown format
    │   ├── UnknownNameError             unknown detector / reader / preset / policy name
    │   ├── ValidationError              bad parameters or bad registry input
    │   └── RegistryNotReadyError        the state-media registry cannot answer yet (names the command that fixes it)
    ├── ExternalError                    something outside flockwatch failed (CLI exit code 3)
    └── RefusedError                     a policy refuses the request: two-person rule, role, sample bound,
                                         authentication (CLI exit code 4; ``code`` is a stable reason code)

The CLI maps these to exit codes at its edge only (``cli/app.py``); library code raises, never exits.
"""

from __future__ import annotations


class FlockwatchError(Exception):
    """Base of every error flockwatch raises on purpose."""

    exit_code = 1


class UserError(FlockwatchError):
    """An error the user can fix: bad input, bad arguments, wrong workspace."""

    exit_code = 2


class ExternalError(FlockwatchError):
    """A failure outside flockwatch: a peer service, the disk, a third-party tool."""

    exit_code = 3


class RefusedError(FlockwatchError):
    """A request that is well-formed but refused by policy. ``code`` is a stable, upper-case reason code that scripts
    can rely on (``SELF_APPROVAL``, ``ROLE_REQUIRED``, ``SAMPLE_BOUND``, ``NOT_AUTHENTICATED``, ...)."""

    exit_code = 4

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(f"refused ({code}): {message}")


class WorkspaceError(UserError):
    """The workspace is missing, outdated, from a newer flockwatch, or damaged."""


class InputFileError(UserError):
    """An input file is missing, wholly unreadable, or of an unknown format."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class UnknownNameError(UserError):
    """A plugin name (reader, detector, preset, policy) that is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known)}")


class ValidationError(UserError):
    """Parameters or records that fail validation."""


class RegistryNotReadyError(UserError):
    """The state-media registry cannot give a meaningful answer yet: it has no outlets, or the policy asked about
    has no determinations. ``fix`` is the command that makes it ready (without ``--workspace``, which the CLI adds)."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}; run `{fix}`")

    def for_workspace(self, path: object) -> RegistryNotReadyError:
        """The same error with the workspace named in the fixing command."""
        return RegistryNotReadyError(self.problem, f"{self.fix} --workspace {path}")
