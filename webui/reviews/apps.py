from __future__ import annotations

from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "webui.reviews"
    label = "reviews"
    verbose_name = "Reviews and promotions"

    def ready(self) -> None:
        # Bad promotion rules in the environment stop start-up naming the item and
        # field, like every other setting, instead of failing a review later.
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from webui.reviews.rules import RuleSpecError, settings_rules

        try:
            settings_rules(settings.POND_PROMOTION_RULES)
        except RuleSpecError as exc:
            raise ImproperlyConfigured(f"Environment variable POND_PROMOTION_RULES is not valid: {exc}.") from None
        for url in settings.POND_REVIEW_WEBHOOKS:
            if not url.startswith(("http://", "https://")):
                raise ImproperlyConfigured(
                    f"Environment variable POND_REVIEW_WEBHOOKS is not valid: {url!r} is not an http(s) URL."
                )
