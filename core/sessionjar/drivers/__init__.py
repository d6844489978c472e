"""The built-in storage drivers: ``memory://`` and ``sqlite://``."""
