"""Django settings of the Django-layer tests (``DJANGO_SETTINGS_MODULE=django_settings``)."""

from __future__ import annotations

SECRET_KEY = "django-insecure-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "app.example.com"]
USE_TZ = True
ROOT_URLCONF = "django_urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "sessionjar.django",
]
MIDDLEWARE = ["sessionjar.django.middleware.SessionMiddleware"]
DATABASES: dict[str, object] = {}
SESSIONJAR = {"STORE_URL": "memory://django-tests"}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "sessionjar.django.rest_framework.SessionjarAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "UNAUTHENTICATED_USER": None,
}
