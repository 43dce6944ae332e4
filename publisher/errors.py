"""One error root. Each subclass carries the context a user needs to fix the cause."""

from __future__ import annotations

from pathlib import Path


class PublisherError(Exception):
    """Root of every error publisher reports to a user (the CLI prints it, no traceback)."""


class ConfigError(PublisherError):
    """A configuration that cannot be used; `key` is None when the file as a whole is wrong
    (missing, not TOML)."""

    def __init__(self, path: Path | str, key: str | None, problem: str) -> None:
        self.path = Path(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")


class InputError(PublisherError):
    """A file the user named that cannot be read at all (a folder, missing, no permission)."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class BatchError(PublisherError):
    """A batch file that cannot be ingested; nothing of it is stored. `line` is None when
    the file could not be read at all."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


class DictionaryError(PublisherError):
    """A phrase dictionary line that cannot be read (publisher/articles/dictionaries)."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")


class StorageError(PublisherError):
    pass


class AddressError(PublisherError):
    """An address that cannot be used. `problem` is for operators (the validator's English);
    `reason` names the kind of fault (`at`, `local`, `domain`, `long`, `other`), which the
    web pages say in the reader's own words (publisher.words, `bad_email_<reason>`)."""

    def __init__(self, address: str, problem: str, reason: str = "other") -> None:
        self.address = address
        self.problem = problem
        self.reason = reason
        super().__init__(f"{address!r}: {problem}")


class SubscriberError(PublisherError):
    """A change the subscriber list does not allow (unknown address, already on the list…),
    or a subscriber's detail that cannot be stored (a name with control characters…).
    `reason`, where a reader's own choice is refused, names the words that tell them
    (publisher.words, `refused_<reason>`); "" leaves the page's general sentence."""

    def __init__(self, problem: str, reason: str = "") -> None:
        self.reason = reason
        super().__init__(problem)


class StaleLinkError(SubscriberError):
    """A genuine confirm link that no longer confirms: past its time, or mailed for an
    earlier sign-up of the same address."""


class TemplateError(PublisherError):
    """A template (the site's own or the built-in one) that lacks what publisher needs."""


class TemplateRenderError(TemplateError):
    """A template that cannot be compiled or rendered: `template` is its file (or name when
    it has none), `line` the line in it, 0 when unknown."""

    def __init__(self, template: str, line: int, problem: str) -> None:
        self.template = template
        self.line = line
        self.problem = problem
        super().__init__(f"{template}:{line}: {problem}" if line else f"{template}: {problem}")


class TokenError(PublisherError):
    """A confirm or unsubscribe token that is malformed, altered or forged."""


class LockError(PublisherError):
    """Another publisher process holds the store."""


class DeliveryError(PublisherError):
    pass


class ReportError(PublisherError):
    """A conversion report that cannot be filed or closed. `key` names the reader-facing
    words (publisher.words) the web form shows; the text is the editor's."""

    def __init__(self, key: str, text: str) -> None:
        self.key = key
        super().__init__(text)
