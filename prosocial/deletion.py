"""Deleting one thing a member made: say what goes and what stays, then delete on POST.

Every app's delete page follows the same flow (#14 item 1): GET shows a ``DeletionPlan`` (what
goes, what stays, and what refuses the deletion now) on one confirmation template; POST runs the
app's delete service and redirects, or shows the service's refusal again with a 422.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from prosocial.errors import UserFacingError


@dataclass(frozen=True)
class DeletionPlan:
    """What deleting something does: what goes, what stays, what refuses it now."""

    goes: list[str]
    stays: list[str]
    blockers: list[str] = field(default_factory=list)


def confirm_then_delete(
    request: HttpRequest,
    *,
    context: Mapping[str, Any],
    title: str,
    plan: DeletionPlan,
    back: str,
    delete: Callable[[], None],
    done: str,
    deleted: str,
) -> HttpResponse:
    """Show ``plan`` (GET), or call ``delete`` and go to ``done`` saying ``deleted`` (POST).

    ``context`` is the page's base context (membership, workspace, and the breadcrumb's
    ``section``/``section_url``/``subject``). A refusal (``UserFacingError``) is shown with 422.
    """
    error = ""
    if request.method == "POST":
        try:
            delete()
        except UserFacingError as exc:
            error = exc.message
        else:
            messages.success(request, deleted)
            return redirect(done)
    page = {**context, "title": title, "plan": plan, "back": back, "delete_error": error}
    return render(request, "components/delete_confirm.html", page, status=422 if error else 200)
