from django.urls import path

from . import pages

urlpatterns = [
    path("money/", pages.my_money, name="my-money"),
    path("money/payout-account/", pages.my_payout_account, name="my-payout-account"),
    path("money/statements.csv", pages.my_statements_csv, name="my-statements-csv"),
    path("money/statements/<int:period_id>/", pages.my_statement, name="my-statement"),
    path("books/", pages.open_books, name="open-books"),
    path("books/runs/", pages.runs, name="runs"),
    path("books/runs/start/", pages.run_start, name="run-start"),
    path("books/runs/<int:run_id>/", pages.run_detail, name="run"),
    path("books/runs/<int:run_id>/<str:action>/", pages.run_action, name="run-action"),
]
