from django.urls import path

from accounts import views

# Included at konto/ without a namespace: "login" and "logout" are Django's own names.
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("oidc/login/", views.SignOnStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", views.SignOnCallbackView.as_view(), name="oidc_authentication_callback"),
]
