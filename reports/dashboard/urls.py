from django.urls import path

from reports.dashboard import views
from reports.lists import views as lists

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("anbefalinger/", lists.recommendation_list, name="recommendations"),
    path("opfoelgninger/", lists.followup_list, name="followups"),
]
