from datetime import date

import factory
from django.utils import timezone

from coop.actors import SystemActor
from coop.models import User
from membership import services
from membership.models import Application, StakeholderClass

# The actor of test set-up that is not about who acts (recorded as the system job "tests");
# tests about a permission pass the person or key they are about.
REGISTRAR = SystemActor(name="tests")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        # allauth refuses sign-in until the address is verified (mandatory verification).
        if create:
            from allauth.account.models import EmailAddress

            user.save()
            EmailAddress.objects.get_or_create(user=user, email=user.email,
                                               defaults={"verified": True, "primary": True})


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class StakeholderClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderClass
        django_get_or_create = ("slug",)

    slug = "photographers"
    name = "Photographers"
    share_price_minor = 5000
    min_shares = 2
    max_shares = 20
    vote_weight = 1
    patronage_measure = "licences sold"


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    user = factory.SubFactory(UserFactory)
    name = factory.LazyAttribute(lambda a: a.user.full_name if a.user else "Paper Applicant")
    email = factory.LazyAttribute(lambda a: a.user.email if a.user else "paper@example.org")
    stakeholder_class = factory.SubFactory(StakeholderClassFactory)
    shares = 2
    bylaws_version = "2026-01"


def make_member(*, stakeholder_class=None, shares=None, paid: bool = False, user=None,
                on: date | None = None, actor=None):
    """A member through the real services: application, approval and (optionally) full payment."""
    actor = actor or REGISTRAR
    stakeholder_class = stakeholder_class or StakeholderClassFactory()
    user = user or UserFactory()
    application = services.application_submit(
        stakeholder_class=stakeholder_class, shares=shares or stakeholder_class.min_shares,
        name=user.full_name or user.email, email=user.email, user=user,
    )
    member = services.application_approve(application=application, actor=actor)
    if paid and member.subscription.total_minor > 0:
        services.share_payment_record(member=member, amount_minor=member.subscription.total_minor,
                                      paid_on=on or timezone.localdate(), reference="test",
                                      actor=actor)
        member.refresh_from_db()
    return member
