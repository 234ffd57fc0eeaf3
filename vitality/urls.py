from django.urls import path

from . import views

app_name = "vitality"

urlpatterns = [
    path("vitality/", views.dashboard, name="dashboard"),
    path("vitality/export.csv", views.export, name="export"),
    path("vitality/pulse/", views.pulse, name="pulse"),
]
