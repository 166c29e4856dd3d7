from __future__ import annotations

from django.urls import path

from webui.status import views

urlpatterns = [
    path("status/", views.status_page, name="status_page"),
    path("status/live/", views.status_partial, name="status_partial"),
    path("status.json", views.status_json, name="status_json"),
    path("status/badge/<upstream_id:deployment_id>.svg", views.status_badge, name="status_badge"),
    path("status/bar/<upstream_id:deployment_id>.svg", views.status_bar, name="status_bar"),
    path("status/feed.atom", views.status_feed, name="status_feed"),
    path("status/s/<str:token>/", views.share_link_enter, name="status_share_enter"),
    path("status/share-links/", views.share_links, name="status_share_links"),
    path(
        "status/share-links/<int:link_id>/revoke/",
        views.share_link_revoke_view,
        name="status_share_link_revoke",
    ),
]
