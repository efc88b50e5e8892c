"""``academy_course import <folder> [--publish]`` / ``academy_course export <slug> <folder>``.

A folder holding ``course.yaml`` is one course; a folder of course folders (with an optional
``tracks.yaml``) imports them all. Export writes one course (and ``--tracks`` the tracks file).
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from downline.academy.folder import export_course, export_tracks, import_course, import_folder
from downline.academy.models import Course


class Command(BaseCommand):
    help = "Import or export academy courses as folders of Markdown and YAML."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="what", required=True)
        imp = sub.add_parser("import", help="import a course folder or a folder of courses")
        imp.add_argument("folder")
        imp.add_argument("--publish", action="store_true", help="publish the imported courses")
        exp = sub.add_parser("export", help="export one course to a folder")
        exp.add_argument("slug")
        exp.add_argument("folder")
        exp.add_argument("--tracks", help="also write the tracks to this tracks.yaml")

    def handle(self, *args, **options):
        try:
            if options["what"] == "import":
                folder = Path(options["folder"])
                publish = True if options["publish"] else None
                if (folder / "course.yaml").is_file():
                    courses = [import_course(folder, publish=publish)]
                else:
                    courses = import_folder(folder, publish=publish)
                for course in courses:
                    self.stdout.write(
                        f"imported {course.slug} ({course.lessons.count()} lessons, {course.status})"
                    )
                return
            course = Course.objects.filter(slug=options["slug"]).first()
            if course is None:
                raise CommandError(f"no course {options['slug']!r}")
            path = export_course(course, options["folder"])
            self.stdout.write(f"exported {course.slug} to {path}")
            if options.get("tracks"):
                export_tracks(options["tracks"])
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
