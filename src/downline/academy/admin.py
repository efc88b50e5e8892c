"""Admin of the academy: read-only lists (authoring goes through the console and its actions)."""

from django.contrib import admin

from downline.core.admin_views import ReadOnlyAdmin

from .models import Certificate, Course, LessonProgress, QuizAttempt, Track


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ("slug", "area", "status", "version", "certificate_key")
    list_filter = ("status", "area")
    search_fields = ("slug",)


@admin.register(Track)
class TrackAdmin(ReadOnlyAdmin):
    list_display = ("key", "audience")


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "key",
        "member",
        "grade",
        "passed",
        "issued_on",
        "expires_on",
        "revoked_at",
    )
    search_fields = ("code", "member__member_id")
    raw_id_fields = ("member",)


@admin.register(QuizAttempt)
class QuizAttemptAdmin(ReadOnlyAdmin):
    list_display = ("member", "quiz", "number", "status", "score", "submitted_at")
    list_filter = ("status",)
    raw_id_fields = ("member",)


@admin.register(LessonProgress)
class LessonProgressAdmin(ReadOnlyAdmin):
    list_display = ("member", "lesson", "state", "updated_at")
    raw_id_fields = ("member",)
    show_full_result_count = False
