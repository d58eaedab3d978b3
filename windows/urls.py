from django.urls import path

from windows import views

app_name = "windows"
urlpatterns = [
    path("", views.index, name="index"),
]
