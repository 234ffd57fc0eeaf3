from django.urls import path

from . import views

app_name = "vitality"

urlpatterns = [
    path("vitality/pulse/", views.pulse, name="pulse"),
]
