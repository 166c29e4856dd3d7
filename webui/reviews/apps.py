from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "webui.reviews"
    label = "reviews"
    verbose_name = "Reviews and promotions"
