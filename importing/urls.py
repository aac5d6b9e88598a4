from django.urls import path

from importing import views

app_name = "importing"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("<str:token>/", views.preview, name="preview"),
    path("<str:token>/import/", views.commit, name="commit"),
    path("job/<str:task_id>/", views.job, name="job"),
]
