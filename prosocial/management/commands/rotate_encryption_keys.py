from django.core.management.base import BaseCommand

from prosocial.encrypted_rows import rotate_all_encrypted_values


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret (encrypted model fields and MFA secrets) under the "
        "first key of FIELD_ENCRYPTION_KEYS. Run after adding a new key; then the old key "
        "can be removed."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = rotate_all_encrypted_values()
        for label, count in sorted(counts.items()):
            self.stdout.write(f"{label}: {count} value(s) re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {sum(counts.values())} value(s)."))
