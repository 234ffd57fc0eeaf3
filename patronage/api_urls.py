from django.urls import path

from . import api

urlpatterns = [
    path("contributions/", api.ContributionListView.as_view(), name="api-contributions"),
    path("allocation-policies/", api.PolicyListView.as_view(), name="api-allocation-policies"),
    path("allocation-policies/<int:id>/", api.PolicyDetailView.as_view(),
         name="api-allocation-policy"),
]
