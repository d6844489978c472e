"""URL pattern of the JWKS view: ``path("", include("sessionjar.django.jwks_urls"))``.

Included at the root, it serves ``/.well-known/jwks.json``, where other services look
for it; to serve it elsewhere, route `sessionjar.django.views.jwks` yourself.
"""

from __future__ import annotations

from django.urls import path

from sessionjar.django import views

__all__ = ["urlpatterns"]

urlpatterns = [path(".well-known/jwks.json", views.jwks, name="sessionjar-jwks")]
