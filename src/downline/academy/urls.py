"""Addresses of the academy app, mounted at the site root (each route names its own prefix)."""

from django.urls import path

from . import console_views as console
from . import views

app_name = "academy"
urlpatterns = [
    path("academy/", views.home, name="home"),
    path("academy/team/", views.team, name="team"),
    path("academy/courses/<slug:slug>/", views.course, name="course"),
    path("academy/lessons/<int:lesson_id>/", views.lesson, name="lesson"),
    path("academy/lessons/<int:lesson_id>/complete/", views.complete, name="complete"),
    path("academy/lessons/<int:lesson_id>/quiz/", views.quiz, name="quiz"),
    path("academy/lessons/<int:lesson_id>/scorm/commit/", views.scorm_commit, name="scorm_commit"),
    path("academy/lessons/<int:lesson_id>/scorm/<path:path>", views.scorm_file, name="scorm_file"),
    path("academy/files/<path:path>", views.media, name="media"),
    path("academy/my-certificates/", views.certificates, name="certificates"),
    path(
        "academy/my-certificates/<str:code>.pdf",
        views.certificate_download,
        name="certificate_pdf",
    ),
    path("academy/certificates/<str:code>/", views.verify, name="verify"),
    # console (capability "academy")
    path("console/academy/", console.courses, name="console_courses"),
    path("console/academy/courses/new/", console.course_edit, name="console_course_new"),
    path("console/academy/courses/<int:course_id>/", console.course_edit, name="console_course"),
    path(
        "console/academy/courses/<int:course_id>/publish/",
        console.course_publish,
        name="console_course_publish",
    ),
    path(
        "console/academy/courses/<int:course_id>/modules/",
        console.module_add,
        name="console_module_add",
    ),
    path(
        "console/academy/modules/<int:module_id>/lessons/",
        console.lesson_add,
        name="console_lesson_add",
    ),
    path("console/academy/lessons/<int:lesson_id>/", console.lesson_edit, name="console_lesson"),
    path(
        "console/academy/lessons/<int:lesson_id>/preview/",
        console.lesson_preview,
        name="console_lesson_preview",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/scorm/",
        console.scorm_upload,
        name="console_scorm_upload",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/quiz/",
        console.quiz_settings,
        name="console_quiz_settings",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/questions/new/",
        console.question_edit,
        name="console_question_new",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/questions/<int:question_id>/",
        console.question_edit,
        name="console_question",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/questions/<int:question_id>/move/",
        console.question_move,
        name="console_question_move",
    ),
    path(
        "console/academy/lessons/<int:lesson_id>/questions/<int:question_id>/delete/",
        console.question_delete,
        name="console_question_delete",
    ),
    path("console/academy/grading/", console.grading, name="console_grading"),
    path("console/academy/grading/<int:attempt_id>/", console.grade, name="console_grade"),
    path("console/academy/certificates/", console.certificates, name="console_certificates"),
    path(
        "console/academy/certificates/<int:cert_id>/revoke/",
        console.revoke,
        name="console_revoke",
    ),
    path("console/academy/kpis/", console.kpis, name="console_kpis"),
]
