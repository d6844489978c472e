"""A URLconf of the Django-layer tests that includes the built-in views below ``api/auth/``."""

from __future__ import annotations

from django.urls import include, path
from django_urls import me, signin

urlpatterns = [
    path("signin", signin),
    path("me", me),
    path("api/auth/", include("sessionjar.django.urls")),
]
