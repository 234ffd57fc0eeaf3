from django.urls import path

from . import views

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("bylaws/", views.bylaws_page, name="bylaws"),
    path("bylaws/<str:version>/", views.bylaws_page, name="bylaws-version"),
    path("members/", views.directory, name="directory"),
    path("profile/", views.profile, name="profile"),
    path("profile/visibility/", views.profile_visibility, name="profile-visibility"),
    path("certificates/<int:number>/", views.certificate, name="certificate"),
]
