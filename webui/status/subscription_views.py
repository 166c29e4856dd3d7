"""The subscriptions page: webhooks that hear about everything, a model or a deployment,
and what each one's deliveries did. For those who may operate the status page
(webui.status.access.can_operate): a viewer gets a 403, a share-link holder the login form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from webui.status import pages
from webui.status import subscriptions as service
from webui.status.models import StatusSubscription
from webui.status.operators import operators_only

# The disable form's confirmation: a POST without it disables nothing.
DISABLE_CONFIRM = "confirm"


_operators_only = operators_only("status/subscriptions_forbidden.html")


def _context(request: HttpRequest, form: service.SubscriptionForm, **extra: Any) -> dict[str, Any]:
    return {
        "rows": service.subscription_rows(request),
        "targets": service.targets(),
        "form": form,
        "format_choices": StatusSubscription.FORMAT_CHOICES,
        "scope_choices": StatusSubscription.SCOPE_CHOICES,
        "feed_url": request.build_absolute_uri(service.feed_url(StatusSubscription.ALL)),
        "viewer": pages.viewer(request),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@_operators_only
def subscriptions(request: HttpRequest) -> HttpResponse:
    """GET: the subscriptions and their delivery logs, and the form; POST: create one."""
    if request.method == "GET":
        return render(
            request, "status/subscriptions.html", _context(request, service.SubscriptionForm())
        )
    form = service.SubscriptionForm.from_post(request.POST)
    created = service.subscription_create(form=form, user=request.user)
    if created is None:
        return render(request, "status/subscriptions.html", _context(request, form), status=400)
    messages.success(
        request, f"Subscription “{created.label}” created: it hears the next announcement."
    )
    return redirect("status_subscriptions")


@require_http_methods(["GET", "POST"])
@_operators_only
def subscription_disable(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """GET: what disabling does, and the form that does it; POST: disable, if the
    form's confirmation is there (plain HTML: no JavaScript needed)."""
    subscription = StatusSubscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        raise Http404("No such subscription.")
    if request.method == "GET" or request.POST.get(DISABLE_CONFIRM) != "yes":
        errors = []
        if request.method == "POST":
            errors.append(
                f"{DISABLE_CONFIRM}: confirm with this page's Disable button; nothing was disabled."
            )
        return render(
            request,
            "status/subscription_disable.html",
            {
                "subscription": subscription,
                "host": service.host(subscription),
                "errors": errors,
                "viewer": pages.viewer(request),
            },
            status=400 if errors else 200,
        )
    if service.subscription_disable(subscription=subscription, user=request.user):
        messages.success(request, f"Disabled “{subscription.label}”: it receives nothing more.")
    return redirect("status_subscriptions")
