from django.contrib import admin
from django.urls import path, re_path

from . import api, exports, health, views

api_patterns = [
    path("api/volumes", api.volumes, name="api-volumes"),
    path("api/volumes/<slug:slug>", api.volume_detail, name="api-volume"),
    path("api/entries/<int:pk>", api.entry_detail, name="api-entry"),
    path("api/people", api.people, name="api-people"),
    path("api/people/<int:pk>", api.person_detail, name="api-person"),
    path("api/search", api.search_entries, name="api-search"),
    path("api/openapi.json", api.openapi, name="api-openapi"),
    re_path(r"^api/(?P<rest>(?s:.*))$", api.not_found),  # (?s): a path may hold a newline
]

urlpatterns = [
    path("", views.home, name="home"),
    path("volumes/", views.volumes, name="volumes"),
    path("volumes/<slug:slug>/", views.volume, name="volume"),
    path("volumes/<slug:slug>/sections/<int:pk>/", views.section, name="section"),
    path("entries/<int:pk>/", views.entry, name="entry"),
    re_path(r"^entries/(?P<pk>[0-9]+)/cite\.(?P<fmt>ris|bib|json)$", views.entry_cite, name="entry-cite"),
    path("search/", views.search_page, name="search"),
    path("chronicle/", views.chronicle, name="chronicle"),
    path("chronicle/export.csv", exports.chronicle_csv, name="chronicle-csv"),
    path("chronicle/export.ics", exports.chronicle_ics, name="chronicle-ics"),
    path("organisations/", views.organisations, name="organisations"),
    path("people/", views.people, name="people"),
    path("people/<int:pk>/", views.person, name="person"),
    path("organisations/<int:pk>/", views.organisation, name="organisation"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
    *api_patterns,
]

handler500 = "gazetteer.errors.server_error"
