app_name = "importing"
urlpatterns: list = []
