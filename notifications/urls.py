from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.preferences, name="preferences"),
    path("runder/<int:pk>/send/", views.round_remind, name="round_remind"),
    path("runder/<int:pk>/plan/", views.round_plan, name="round_plan"),
]
