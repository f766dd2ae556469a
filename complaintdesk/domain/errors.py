"""Domain errors: every refusal carries a message a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """A use-case refused: the message says what is wrong and how to fix it."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class PermissionDenied(DomainError):
    """The actor's role does not allow the action."""


class NotFound(DomainError):
    """The complaint, staff member or customer does not exist."""


class ValidationFailed(DomainError):
    """Input is invalid; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        summary = "；".join(f"{field}: {msg}" for field, msg in self.errors.items())
        super().__init__(f"输入有误：{summary}")


class StoreError(DomainError):
    """The database cannot be opened, written, or is of an unknown version."""
