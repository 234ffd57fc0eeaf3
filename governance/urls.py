from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("proposals/new/", views.proposal_new, name="new"),
    path("proposals/<int:pk>/", views.proposal_detail, name="detail"),
    # Before the catch-all "proposals/<pk>/<action>/" below, which would take "edit".
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("proposals/<int:pk>/turnout/", views.proposal_turnout, name="turnout"),
    path("proposals/<int:pk>/vote/", views.ballot_cast, name="vote"),
    path("proposals/<int:pk>/comments/", views.comment_post, name="comment"),
    path("proposals/<int:pk>/result/", views.proposal_result, name="result"),
    path("proposals/<int:pk>/ballots.csv", views.ballots_csv, name="ballots-csv"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/settings/", views.notification_settings, name="notification-settings"),
    path(
        "proposals/<int:pk>/<slug:action>/",
        views.proposal_action,
        name="action",
    ),
]
