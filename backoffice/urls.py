"""URL root. The admin is the staff product; /healthz is for load balancers and the demo runner."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from backoffice import views
from backoffice.events.views import events_endpoint

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("healthz", views.healthz, name="healthz"),
    path("events/", events_endpoint, name="events"),
    # Korean / English switch (django-admin-interface's language chooser posts here).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
