from django.urls import path

from collaboration import views

app_name = "collaboration"
urlpatterns = [
    path(
        "opfoelgning/<int:pk>/kommentarer/",
        views.followup_comment_add,
        name="followup_comment_add",
    ),
    path(
        "anbefaling/<int:pk>/kommentarer/",
        views.recommendation_comment_add,
        name="recommendation_comment_add",
    ),
    path("kommentarer/<int:pk>/byraad/", views.comment_mark, name="comment_mark"),
    path("opfoelgning/<int:pk>/bilag/", views.attachment_add, name="attachment_add"),
    path("bilag/<int:pk>/", views.attachment_download, name="download"),
    path("bilag/<int:pk>/fjern/", views.attachment_remove, name="attachment_remove"),
]
