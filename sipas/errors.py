"""Domain exceptions raised by services; the web and CLI layers turn them into messages."""
from __future__ import annotations


class SipasError(Exception):
    """Base class for errors a user can act on."""


class NotFound(SipasError):
    """A referenced object (round, agency, unit, profile) does not exist."""


class ValidationFailed(SipasError):
    """Input did not pass validation; `problems` maps a field (or row/column) to a message."""

    def __init__(self, problems: dict[str, str] | list[str], message: str = "invalid input"):
        super().__init__(message)
        self.problems = problems

    def lines(self) -> list[str]:
        """The problems as lines to show: "field: message" for a mapping, as they are for a list."""
        if isinstance(self.problems, dict):
            return [f"{key}: {message}" for key, message in self.problems.items()]
        return list(self.problems)


class SurveyClosed(SipasError):
    """The round does not accept responses now (not open, closed, or the channel is disabled)."""


class DuplicateSubmission(SipasError):
    """The same client UUID arrived again with different content."""


class ProfileInUse(SipasError):
    """A questionnaire profile that already has responses may not be edited in place: a round whose profile
    file changed since the round was created is not analysed (copy the profile to a new key instead)."""
