"""The built-in ``sqlite://`` driver: the embedded, persistent default store.

The store lives in `sessionjar.drivers.sqlite.store` (importing it imports `sqlite3`;
importing this package does not).
"""
