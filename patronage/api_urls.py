from django.urls import path

from . import api

urlpatterns = [
    path("contributions/", api.ContributionListView.as_view(), name="api-contributions"),
    path("allocation-policies/", api.PolicyListView.as_view(), name="api-allocation-policies"),
    path("allocation-policies/<int:id>/", api.PolicyDetailView.as_view(),
         name="api-allocation-policy"),
    path("dividend-runs/", api.RunListView.as_view(), name="api-dividend-runs"),
    path("dividend-runs/<int:id>/", api.RunDetailView.as_view(), name="api-dividend-run"),
    path("dividend-runs/<int:id>/allocations/", api.RunAllocationsView.as_view(),
         name="api-dividend-run-allocations"),
    path("dividend-runs/<int:id>/approve/", api.RunApproveView.as_view(),
         name="api-dividend-run-approve"),
    path("dividend-runs/<int:id>/cancel/", api.RunCancelView.as_view(),
         name="api-dividend-run-cancel"),
    path("dividend-runs/<int:id>/rerun/", api.RunRerunView.as_view(),
         name="api-dividend-run-rerun"),
]

urlpatterns += [
    path("members/<int:member_number>/statements/", api.StatementListView.as_view(),
         name="api-member-statements"),
    path("members/<int:member_number>/statements/<int:period>/",
         api.StatementDetailView.as_view(), name="api-member-statement"),
]

urlpatterns += [
    path("members/<int:member_number>/payout-account/", api.PayoutAccountView.as_view(),
         name="api-member-payout-account"),
]
