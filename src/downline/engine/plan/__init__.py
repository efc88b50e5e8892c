"""The plan language: a YAML compensation plan, validated by pydantic models."""

from .load import LoadedPlan, PlanError, PlanIssue, load_plan, load_plan_text
from .model import Plan
from .values import Rate

__all__ = ["LoadedPlan", "Plan", "PlanError", "PlanIssue", "Rate", "load_plan", "load_plan_text"]
