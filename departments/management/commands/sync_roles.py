from django.core.management.base import BaseCommand

from departments.services import global_roles_sync


class Command(BaseCommand):
    help = (
        "Create the role groups (secretariat, ombudsman office, council member) and their rights."
    )

    def handle(self, *args, **options):
        global_roles_sync()
        self.stdout.write("Roles synchronised.")
