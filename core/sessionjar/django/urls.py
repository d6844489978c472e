"""URL patterns of the built-in views: ``path("auth/", include("sessionjar.django.urls"))``.

Included at ``auth/``, they answer the default paths of the other web layers
(``/auth/session/refresh``, ``/auth/signout``); the refresh cookie follows wherever
they are included, below the script prefix.
"""

from __future__ import annotations

from django.urls import path

from sessionjar.django import views

__all__ = ["app_name", "urlpatterns"]

app_name = "sessionjar"
urlpatterns = [
    path("session/refresh", views.refresh, name="refresh"),
    path("signout", views.signout, name="signout"),
]
