from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts import services
from accounts.models import Membership, User

DEMO_EMAIL = "demo@prosocial.localhost"
DEMO_PASSWORD = "prosocial-demo"  # noqa: S105 - printed on purpose: it is the embedded demo login
DEMO_WORKSPACE = "Demo Workspace"


class Command(BaseCommand):
    help = "Create the demo user and workspace if they don't exist, and print the login."

    @transaction.atomic
    def handle(self, *args: object, **options: object) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            # A superuser, so the operator side (Django admin) can be tried with the same login.
            user = User.objects.create_superuser(
                DEMO_EMAIL, DEMO_PASSWORD, contact_name="Demo Marketer"
            )
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        if not Membership.objects.filter(user=user).exists():
            services.create_workspace(
                user=user, name=DEMO_WORKSPACE, company_name="Demo Co.", store_name="Demo Store"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo login:  {DEMO_EMAIL}  /  {DEMO_PASSWORD}\n"
                f"  Open {settings.PUBLIC_BASE_URL}/ in your browser.\n"
            )
        )
