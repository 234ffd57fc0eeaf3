from django.urls import path

from . import pages

urlpatterns = [
    path("books/", pages.open_books, name="open-books"),
]
