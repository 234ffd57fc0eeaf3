from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import api, views

# Admin sign-in goes through allauth (so two-factor and rate limits apply).
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Cooperative administration"

api_v1 = [
    path("coop/", api.CooperativeView.as_view(), name="api-coop"),
    path("", include("membership.api_urls")),
    path("", include("governance.api_urls")),
    path("", include("ledger.api_urls")),
    path("", include("patronage.api_urls")),
    path("", include("vitality.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("api/v1/", include(api_v1)),
    path("governance/", include("governance.urls")),
    path("", include("ledger.urls")),
    path("", include("patronage.urls")),
    path("", include("vitality.urls")),
    path("", include("dashboard.urls")),
    path("", include("membership.urls")),
]

handler500 = "coop.views.server_error"
