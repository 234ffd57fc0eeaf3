from django.urls import path

from . import views

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("members/", views.directory, name="directory"),
    path("profile/", views.profile, name="profile"),
    path("profile/visibility/", views.profile_visibility, name="profile-visibility"),
    path("certificates/<int:number>/", views.certificate, name="certificate"),
]
