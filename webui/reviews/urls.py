from __future__ import annotations

from django.urls import path

from webui.reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.review_queue, name="queue"),
    path("reviews/<int:pk>/", views.review_detail, name="detail"),
    path("reviews/<int:pk>/decide", views.review_decide, name="decide"),
    path("reviews/<int:pk>/cancel", views.review_cancel, name="cancel"),
    path("reviews/new/<upstream_id:model_id>/<upstream_id:version_id>/", views.promotion_request_new, name="request_new"),
    path("reviews/promote/<upstream_id:model_id>/<upstream_id:version_id>", views.promotion_direct, name="direct"),
    path("audit/", views.audit_list, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("audit/production/<upstream_id:model_id>/", views.production_on, name="production_on"),
]
