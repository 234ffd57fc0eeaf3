from django.urls import path

from . import api

urlpatterns = [
    path("classes/", api.StakeholderClassListView.as_view(), name="api-classes"),
    path("applications/", api.ApplicationListView.as_view(), name="api-applications"),
    path("applications/<int:id>/approve/", api.ApplicationApproveView.as_view(),
         name="api-application-approve"),
    path("applications/<int:id>/reject/", api.ApplicationRejectView.as_view(),
         name="api-application-reject"),
    path("members/", api.MemberListView.as_view(), name="api-members"),
    path("members/<int:member_number>/", api.MemberDetailView.as_view(), name="api-member"),
    path("members/<int:member_number>/share-payments/", api.SharePaymentListView.as_view(),
         name="api-member-share-payments"),
    path("members/<int:member_number>/share-payments/<int:id>/reverse/",
         api.SharePaymentReverseView.as_view(), name="api-member-share-payment-reverse"),
    path("members/<int:member_number>/certificates/", api.CertificateListView.as_view(),
         name="api-member-certificates"),
    path("members/<int:member_number>/exit/", api.MemberExitView.as_view(),
         name="api-member-exit"),
]
