from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import views

# A database that cannot be reached answers 503 from whatever layer noticed (config.middleware).
handler500 = "config.views.server_error"
handler404 = "config.views.page_not_found"

admin.site.site_header = "Opfølgning"
admin.site.site_title = "Opfølgning"

urlpatterns = [
    path("", views.home, name="home"),
    # The user's e-mail choices (and the round page's reminder buttons), before accounts'.
    path("konto/notifikationer/", include("notifications.urls")),
    # Log-in, log-out and sign-on with the municipality's identity provider.
    path("konto/", include("accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("beretninger/", include("reports.page_urls")),
    path("beretninger/", include("recommendations.urls")),
    path("opfoelgning/", include("followups.urls")),
    path("rapporter/", include("reports.urls")),
    path("oversigt/", include("reports.dashboard.urls")),
    path("import/", include("importing.urls")),
    path("samarbejde/", include("collaboration.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
