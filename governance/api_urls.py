from django.urls import path

from . import api, api_notices

urlpatterns = [
    path("categories/", api.CategoryListView.as_view(), name="api-categories"),
    path("proposals/", api.ProposalListView.as_view(), name="api-proposals"),
    path("proposals/<int:id>/", api.ProposalDetailView.as_view(), name="api-proposal"),
    path("proposals/<int:id>/submit/", api.ProposalSubmitView.as_view(),
         name="api-proposal-submit"),
    path("proposals/<int:id>/withdraw/", api.ProposalWithdrawView.as_view(),
         name="api-proposal-withdraw"),
    path("proposals/<int:id>/open/", api.ProposalOpenView.as_view(), name="api-proposal-open"),
    path("proposals/<int:id>/ballots/", api.BallotView.as_view(), name="api-proposal-ballots"),
    path("proposals/<int:id>/close/", api.ProposalCloseView.as_view(),
         name="api-proposal-close"),
    path("proposals/<int:id>/cancel/", api.ProposalCancelView.as_view(),
         name="api-proposal-cancel"),
    path("proposals/<int:id>/result/", api.ProposalResultView.as_view(),
         name="api-proposal-result"),
    path("proposals/<int:id>/receipts/", api.PublishedReceiptsView.as_view(),
         name="api-proposal-receipts"),
    path("proposals/<int:id>/comments/", api.CommentListView.as_view(),
         name="api-proposal-comments"),
    path("proposals/<int:id>/outcome-statement/", api.OutcomeStatementView.as_view(),
         name="api-proposal-outcome-statement"),
    path("proposals/<int:id>/implementation/", api.ImplementationView.as_view(),
         name="api-proposal-implementation"),
    path("notifications/", api_notices.NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", api_notices.NotificationReadView.as_view(),
         name="api-notifications-read"),
]
