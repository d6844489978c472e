"""One module per ``manage.py`` command of sessionjar's Django app."""
