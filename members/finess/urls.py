

app_name = "finess"
urlpatterns: list = []
