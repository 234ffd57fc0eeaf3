from django.urls import path

from . import api

urlpatterns = [
    path("surveys/pulse/", api.PulseView.as_view(), name="api-pulse"),
    path("vitality/snapshots/", api.SnapshotListView.as_view(), name="api-snapshots"),
    path("vitality/snapshots/<str:month>/", api.SnapshotDetailView.as_view(),
         name="api-snapshot"),
]
