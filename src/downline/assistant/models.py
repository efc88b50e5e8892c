"""The assistant's conversations, answers, feedback and cached passage vectors.

* ``Conversation``: one distributor's chat (theirs alone), in the language it started in.
* ``Message``: a question (``role`` user, the words typed) or an answer (``role`` assistant).
  An answer stores what it found, not sentences of ours (design rule 12): its ``kind``
  (``cited`` | ``own`` | ``refusal`` | ``none``), and in ``payload`` the intent, the figures
  as numbers, the cited documents' keys, titles, URLs and the quoted passages (document text,
  which is content in the document's language). It is put into words when shown.
* ``Feedback``: "this helped / did not help" on an answer, once per answer (changeable).
* ``PassageVector``: the embedding of one passage text, by its SHA-256 and the model's name.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _


class Conversation(models.Model):
    member = models.ForeignKey(
        "genealogy.Distributor",
        verbose_name=_("distributor"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assistant conversation")
        verbose_name_plural = _("assistant conversations")
        ordering = ("-updated_at", "-id")
        indexes = (models.Index(fields=["member", "-updated_at"]),)

    def __str__(self) -> str:
        return f"{self.member_id} #{self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", _("question")
        ASSISTANT = "assistant", _("answer")

    class Kind(models.TextChoices):
        QUESTION = "question", _("question")
        CITED = "cited", _("answered from the documents")
        OWN = "own", _("answered from the distributor's figures")
        REFUSAL = "refusal", _("refused")
        NONE = "none", _("not answered")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("question"), blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    payload = models.JSONField(_("answer data"), default=dict, blank=True)
    sources = models.JSONField(_("source keys"), default=list, blank=True)
    intent = models.CharField(_("intent"), max_length=40, blank=True)
    score = models.FloatField(_("best retrieval score"), default=0.0)  # not money
    latency_ms = models.PositiveIntegerField(_("answer time (ms)"), default=0)
    question = models.ForeignKey(
        "self",
        verbose_name=_("question"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="answers",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assistant message")
        verbose_name_plural = _("assistant messages")
        ordering = ("created_at", "id")
        indexes = (models.Index(fields=["role", "kind", "-created_at"]),)

    def __str__(self) -> str:
        return f"{self.role} {self.kind} #{self.pk}"

    @property
    def feedback_or_none(self):
        try:
            return self.feedback
        except ObjectDoesNotExist:
            return None


class Feedback(models.Model):
    message = models.OneToOneField(
        Message, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField(_("helped"))
    created_at = models.DateTimeField(_("created at"), auto_now=True)

    class Meta:
        verbose_name = _("assistant feedback")
        verbose_name_plural = _("assistant feedback")

    def __str__(self) -> str:
        return f"{self.message_id} {'+' if self.helpful else '-'}"


class PassageVector(models.Model):
    model = models.CharField(_("model"), max_length=60)
    digest = models.CharField(_("SHA-256 of the passage"), max_length=64)
    vector = models.BinaryField(_("float32 vector"))

    class Meta:
        verbose_name = _("passage vector")
        verbose_name_plural = _("passage vectors")
        constraints = (
            models.UniqueConstraint(fields=["model", "digest"], name="assistant_vector_digest"),
        )

    def __str__(self) -> str:
        return self.digest[:12]
