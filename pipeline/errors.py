"""The project's error types that a person sees: each names the culprit, none carries a secret."""


class SiteError(Exception):
    """A problem the operator can fix; the CLI prints it without a traceback and exits 1."""


class ConfigError(SiteError):
    """A bad or missing setting (environment variable, command argument, file path)."""
