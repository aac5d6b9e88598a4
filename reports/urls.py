from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("<int:year>/", views.preview, name="preview"),
    path("<int:year>/rapport.pdf", views.report_pdf, name="pdf"),
    path("<int:year>/rapport.xlsx", views.report_xlsx, name="xlsx"),
    path("<int:year>/rapport.csv", views.report_csv, name="csv"),
    path("<int:year>/rapport-forrige.pdf", views.report_pdf_previous, name="pdf_previous"),
    path("<int:year>/pdf/<str:key>/", views.pdf_status, name="pdf_status"),
    path("udgave/<int:pk>/", views.edition_download, name="edition"),
    path("udgave/runde/<int:pk>/proev-igen/", views.edition_retry, name="edition_retry"),
]
