"""URL root. The admin is the staff product; /healthz is for load balancers and the demo runner."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView

from backoffice import views
from backoffice.events.views import events_endpoint
from backoffice.graphql.view import BackofficeGraphQLView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("events/", events_endpoint, name="events"),
    # Tokens carry no cookie, so the view checks CSRF itself for browser sessions only.
    path("graphql/", csrf_exempt(BackofficeGraphQLView.as_view()), name="graphql"),
    # Korean / English switch (django-admin-interface's language chooser posts here).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
