from django.conf import settings
from django.core.management.base import BaseCommand

from prosocial import storage


class Command(BaseCommand):
    help = "Create the media bucket when S3 storage is configured and the bucket is missing."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.MEDIA_USES_S3:
            self.stdout.write("Media is stored on the filesystem; no bucket needed.")
            return
        storage.ensure_bucket()
        self.stdout.write(f"Bucket {settings.AWS_STORAGE_BUCKET_NAME} is ready.")
