from django.urls import path

from recommendations import views

app_name = "recommendations"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("ny/", views.report_new, name="report_new"),
    path("<int:year>/rediger/", views.report_edit, name="report_edit"),
    path("<int:year>/anbefaling/ny/", views.recommendation_new, name="new"),
    path("anbefaling/<int:pk>/", views.recommendation_detail, name="detail"),
    path("anbefaling/<int:pk>/rediger/", views.recommendation_edit, name="edit"),
    path("anbefaling/<int:pk>/sammenhaeng/", views.recommendation_link, name="link"),
    path("anbefaling/<int:pk>/vurdering/", views.recommendation_assess, name="assess"),
    path("anbefaling/<int:pk>/svar/", views.recommendation_respond, name="respond"),
    path("anbefaling/<int:pk>/historik/", views.recommendation_history, name="history"),
    path(
        "anbefaling/<int:pk>/historik/<int:history_id>/gendan/",
        views.recommendation_restore,
        name="restore",
    ),
]
