from django.urls import path

from followups import views

app_name = "followups"
urlpatterns = [
    path("<int:pk>/", views.followup_detail, name="detail"),
    path("<int:pk>/rediger/", views.followup_edit, name="edit"),
    path("<int:pk>/indsend/", views.followup_submit, name="submit"),
    path("<int:pk>/godkend/", views.followup_approve, name="approve"),
    path("<int:pk>/returner/", views.followup_return, name="return"),
    path("<int:pk>/frist/", views.followup_move_date, name="move_date"),
    path("<int:pk>/tildel/", views.followup_assign, name="assign"),
    path("<int:pk>/status/<int:round_pk>/", views.status_edit, name="status_edit"),
    path("<int:pk>/placer/", views.followup_place, name="place"),
    path("<int:pk>/historik/", views.followup_history, name="history"),
    path("<int:pk>/historik/<int:history_id>/gendan/", views.followup_restore, name="restore"),
    path("medarbejdere/", views.team_overview, name="team"),
    path("runder/", views.round_list, name="round_list"),
    path("runder/ny/", views.round_new, name="round_new"),
    path("runder/<int:pk>/", views.round_detail, name="round_detail"),
    path("runder/<int:pk>/rediger/", views.round_edit, name="round_edit"),
    path("runder/<int:pk>/luk/", views.round_close, name="round_close"),
    path("runder/<int:pk>/genaabn/", views.round_reopen, name="round_reopen"),
    path("runder/<int:pk>/offentliggoer/", views.round_publish, name="round_publish"),
]
