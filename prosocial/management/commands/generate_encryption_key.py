from django.core.management.base import BaseCommand

from prosocial import vault


class Command(BaseCommand):
    help = "Print a new key for FIELD_ENCRYPTION_KEYS (put it first in the list to rotate)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(vault.generate_key())
