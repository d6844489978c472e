"""The management commands of sessionjar's Django app."""
