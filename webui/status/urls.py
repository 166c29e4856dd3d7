from __future__ import annotations

from django.urls import path

from webui.status import incident_views, maintenance_views, subscription_views, views

urlpatterns = [
    path("status/", views.status_page, name="status_page"),
    path("status/live/", views.status_partial, name="status_partial"),
    path("status.json", views.status_json, name="status_json"),
    # Badges: everything, a model (its worst deployment), a deployment. The page's embed
    # snippets rely on each shared route below being its twin under /status/s/<token>/.
    path("status/badge.svg", views.status_overall_badge, name="status_overall_badge"),
    path(
        "status/badge/model/<upstream_id:model_id>.svg",
        views.status_model_badge,
        name="status_model_badge",
    ),
    path("status/badge/<upstream_id:deployment_id>.svg", views.status_badge, name="status_badge"),
    path("status/bar/<upstream_id:deployment_id>.svg", views.status_bar, name="status_bar"),
    path("status/feed.atom", views.status_feed, name="status_feed"),
    path("status/s/<str:token>/", views.share_link_enter, name="status_share_enter"),
    # The same read-only documents with a share link's token in the path, for what
    # cannot keep a session: feed readers, wall screens, badges in a README.
    path("status/s/<str:share_token>/status.json", views.status_json, name="status_json_shared"),
    path("status/s/<str:share_token>/feed.atom", views.status_feed, name="status_feed_shared"),
    path(
        "status/s/<str:share_token>/badge.svg",
        views.status_overall_badge,
        name="status_overall_badge_shared",
    ),
    path(
        "status/s/<str:share_token>/badge/model/<upstream_id:model_id>.svg",
        views.status_model_badge,
        name="status_model_badge_shared",
    ),
    path(
        "status/s/<str:share_token>/badge/<upstream_id:deployment_id>.svg",
        views.status_badge,
        name="status_badge_shared",
    ),
    path(
        "status/s/<str:share_token>/bar/<upstream_id:deployment_id>.svg",
        views.status_bar,
        name="status_bar_shared",
    ),
    # One incident: its page (readable with a share link) and the operators' writes.
    path("status/incidents/<int:incident_id>/", incident_views.incident_page, name="status_incident"),
    path(
        "status/incidents/<int:incident_id>/acknowledge/",
        incident_views.incident_acknowledge,
        name="status_incident_acknowledge",
    ),
    path(
        "status/incidents/<int:incident_id>/updates/",
        incident_views.incident_update,
        name="status_incident_update",
    ),
    # Maintenance windows: scheduled and cancelled by operators, shown on the page to all.
    path("status/maintenance/", maintenance_views.maintenance, name="status_maintenance"),
    path(
        "status/maintenance/<int:window_id>/cancel/",
        maintenance_views.maintenance_cancel,
        name="status_maintenance_cancel",
    ),
    path("status/subscriptions/", subscription_views.subscriptions, name="status_subscriptions"),
    path(
        "status/subscriptions/<int:subscription_id>/disable/",
        subscription_views.subscription_disable,
        name="status_subscription_disable",
    ),
    path("status/share-links/", views.share_links, name="status_share_links"),
    path(
        "status/share-links/<int:link_id>/revoke/",
        views.share_link_revoke_view,
        name="status_share_link_revoke",
    ),
]
