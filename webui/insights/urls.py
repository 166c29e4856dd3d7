from __future__ import annotations

from django.urls import path

from webui.insights import views

urlpatterns = [
    path("insights/production/", views.production, name="insights_production"),
    path("insights/hygiene/", views.hygiene, name="insights_hygiene"),
    path("insights/resources/", views.resources, name="insights_resources"),
]
