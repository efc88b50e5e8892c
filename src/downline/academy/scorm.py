"""SCORM 1.2 packages: the manifest read with lxml, the entry point stored on the lesson.

A package is a zip with ``imsmanifest.xml`` at its root; the first ``<item identifierref>`` of
the default organization names a ``<resource>`` whose ``href`` is the page the lesson shows in
an iframe (files are read from the zip in storage by ``views.scorm_file``). The page talks to
``window.API`` (``static/academy/scorm.js``), which posts ``cmi.core.lesson_status`` and
``cmi.core.score.raw`` to ``actions.do_scorm_commit``.
"""

from __future__ import annotations

import zipfile

from django.core.exceptions import ValidationError
from django.db import transaction
from lxml import etree

from .models import Lesson

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, dtd_validation=False)


def entry_point(manifest: bytes) -> str:
    """The launch page of a SCORM 1.2 manifest."""
    try:
        root = etree.fromstring(manifest, parser=_SAFE)
    except etree.XMLSyntaxError as error:
        raise ValidationError({"scorm_package": f"imsmanifest.xml: {error}"}) from None

    def local(element, name):
        return [
            e for e in element.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name
        ]

    resources = {r.get("identifier"): r for r in local(root, "resource")}
    organizations = local(root, "organizations")
    default = organizations[0].get("default") if organizations else None
    orgs = [o for o in local(root, "organization") if default in (None, o.get("identifier"))]
    for org in orgs or [root]:
        for item in local(org, "item"):
            resource = resources.get(item.get("identifierref"))
            if resource is not None and resource.get("href"):
                return resource.get("href")
    for resource in resources.values():
        if resource.get("href"):
            return resource.get("href")
    raise ValidationError({"scorm_package": "imsmanifest.xml names no launch page"})


@transaction.atomic
def do_attach_scorm(lesson: Lesson, upload) -> Lesson:
    """Store the zip ``upload`` as ``lesson``'s package and read its entry point."""
    if lesson.kind != Lesson.Kind.SCORM:
        raise ValidationError({"kind": "only a SCORM lesson takes a package"})
    try:
        with zipfile.ZipFile(upload) as package:
            manifest = package.read("imsmanifest.xml")
            entry = entry_point(manifest)
            if entry not in package.namelist():
                raise ValidationError(
                    {"scorm_package": f"the launch page {entry} is not in the zip"}
                )
    except (zipfile.BadZipFile, KeyError):
        raise ValidationError(
            {"scorm_package": "not a SCORM package (a zip with imsmanifest.xml)"}
        ) from None
    upload.seek(0)
    lesson.scorm_package.save(f"{lesson.course.slug}-{lesson.key}.zip", upload, save=False)
    lesson.scorm_entry = entry
    lesson.save(update_fields=["scorm_package", "scorm_entry"])
    return lesson
