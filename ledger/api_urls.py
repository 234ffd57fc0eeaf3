from django.urls import path

from . import api

urlpatterns = [
    path("ledger/accounts/", api.AccountListView.as_view(), name="api-ledger-accounts"),
    path("ledger/revenue/", api.RevenueView.as_view(), name="api-ledger-revenue"),
    path("ledger/expenses/", api.ExpenseView.as_view(), name="api-ledger-expenses"),
    path("ledger/commons-spend/", api.CommonsSpendView.as_view(),
         name="api-ledger-commons-spend"),
    path("ledger/loss-cover/", api.LossCoverView.as_view(), name="api-ledger-loss-cover"),
    path("ledger/trial-balance/", api.TrialBalanceView.as_view(),
         name="api-ledger-trial-balance"),
    path("ledger/income-statement/", api.IncomeStatementView.as_view(),
         name="api-ledger-income-statement"),
    path("ledger/balance-sheet/", api.BalanceSheetView.as_view(),
         name="api-ledger-balance-sheet"),
    path("ledger/entries/", api.EntryListView.as_view(), name="api-ledger-entries"),
    path("ledger/entries/<int:id>/", api.EntryDetailView.as_view(), name="api-ledger-entry"),
    path("ledger/reconciliation/", api.ReconciliationView.as_view(),
         name="api-ledger-reconciliation"),
    path("periods/", api.PeriodListView.as_view(), name="api-periods"),
    path("periods/<int:id>/close/", api.PeriodCloseView.as_view(), name="api-period-close"),
    path("members/<int:member_number>/capital-account/", api.CapitalAccountView.as_view(),
         name="api-member-capital-account"),
]
