from django.urls import path

from reports import pages

app_name = "pages"
urlpatterns = [
    path("<int:year>/", pages.report_detail, name="report"),
]
