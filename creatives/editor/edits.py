"""The browser editor's edits: one named operation on the current document, saved as a version.

The editor page sends ``{"base_version": n, "op": "split", "args": {...}}``; ``apply_edit``
reads the project's current document, applies the pure operation from ``document.py`` and
saves the result through ``services.save_document`` (so every edit is a version, checked
against the sources and refused when the project moved past ``base_version``). Operations
with logic of their own (split, trim, move, add a clip or a track from the library) run here,
on the server, so the browser never re-implements them; field edits (a text's words, a
track's volume, the captions table) send the whole document with ``op: "save"``.

Arguments are untrusted JSON: every value is checked for its type here, and the document's
own rules check the rest. A refusal raises ``EditorError``/``DocumentError`` (a message safe
to show) and writes nothing.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from accounts.models import Membership
from creatives.editor import document as doc_ops
from creatives.editor import services
from creatives.editor.captions import parse_captions
from creatives.editor.document import MAX_TIMELINE_S, MIN_CLIP_S, Document, timeline_duration
from creatives.editor.errors import DocumentError, EditorError
from creatives.editor.models import EditProject, EditVersion
from creatives.library.models import MediaAsset

IMAGE_CLIP_S = services.IMAGE_CLIP_S


def _arg(args: Mapping[str, Any], key: str) -> Any:
    if key not in args:
        raise DocumentError(key, _("is missing"))
    return args[key]


def _ident(args: Mapping[str, Any], key: str) -> str:
    value = _arg(args, key)
    if not isinstance(value, str) or not value:
        raise DocumentError(key, _("must be the id of an item in this edit"))
    return value


def _string(args: Mapping[str, Any], key: str, default: str) -> str:
    value = args.get(key, default)
    if not isinstance(value, str):
        raise DocumentError(key, _("must be text"))
    return value


def _number(args: Mapping[str, Any], key: str) -> float:
    value = _arg(args, key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DocumentError(key, _("must be a number"))
    return float(value)


def _whole(args: Mapping[str, Any], key: str) -> int:
    value = _arg(args, key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DocumentError(key, _("must be a whole number"))
    return value


def _library_asset(
    actor: Membership, args: Mapping[str, Any], kinds: tuple[str, ...]
) -> MediaAsset:
    pk = _whole(args, "asset")
    asset = MediaAsset.objects.for_workspace(actor.workspace).filter(pk=pk).first()
    if asset is None:
        raise EditorError(_("That file is not in this workspace's library."))
    if asset.kind not in kinds:
        raise EditorError(
            _("{name} can't be used here (it is not a {kinds}).").format(
                name=asset.original_filename, kinds=_(" or ").join(kinds)
            )
        )
    if asset.status != MediaAsset.Status.READY:
        raise EditorError(
            _("{name} is still being processed; try again in a moment.").format(
                name=asset.original_filename
            )
        )
    return asset


def _add_clip(actor: Membership, doc: Document, args: Mapping[str, Any]) -> Document:
    asset = _library_asset(actor, args, (MediaAsset.Kind.VIDEO, MediaAsset.Kind.IMAGE))
    length = IMAGE_CLIP_S if asset.kind == MediaAsset.Kind.IMAGE else asset.duration_seconds or 0
    room = MAX_TIMELINE_S - timeline_duration(doc)
    if room < MIN_CLIP_S:
        raise EditorError(_("The timeline is full ({max:g} s at most).").format(max=MAX_TIMELINE_S))
    index = _whole(args, "index") if "index" in args else None
    return doc_ops.add_clip(
        doc, asset=asset.pk, in_=0.0, out=round(min(float(length), room), 3), index=index
    )


def _add_audio(actor: Membership, doc: Document, args: Mapping[str, Any]) -> Document:
    asset = _library_asset(actor, args, (MediaAsset.Kind.AUDIO, MediaAsset.Kind.VIDEO))
    role = args.get("role", "music")
    if role not in doc_ops.AUDIO_ROLES:
        raise DocumentError("role", _("must be music or voice"))
    if asset.kind == MediaAsset.Kind.VIDEO and not asset.has_audio:
        raise EditorError(_("{name} has no sound.").format(name=asset.original_filename))
    length = float(asset.duration_seconds or 0)
    total = timeline_duration(doc)
    # Music is cut to the edit; a voice-over keeps its length (the renderer cuts at the end).
    out = min(length, total) if role == "music" and total >= MIN_CLIP_S else length
    start = _number(args, "start") if "start" in args else 0.0
    return doc_ops.add_audio(
        doc,
        asset=asset.pk,
        role=role,
        in_=0.0,
        out=round(out, 3),
        start=start,
        fade_out=min(1.0, round(out / 4, 3)) if role == "music" else 0.0,
    )


def _import_captions(actor: Membership, doc: Document, args: Mapping[str, Any]) -> Document:
    text = _arg(args, "text")
    if not isinstance(text, str):
        raise DocumentError("text", _("must be the text of an SRT or WebVTT file"))
    return doc_ops.set_captions(doc, parse_captions(text))


def _save(actor: Membership, doc: Document, args: Mapping[str, Any]) -> Any:
    # The whole document, as the browser has it: save_document validates it from scratch.
    return _arg(args, "document")


_Op = Callable[[Membership, Document, Mapping[str, Any]], Any]

OPERATIONS: dict[str, tuple[_Op, str]] = {
    "add_clip": (_add_clip, "Added a clip"),
    "split": (
        lambda actor, doc, a: doc_ops.split_clip(doc, _ident(a, "clip"), _number(a, "at")),
        "Split a clip",
    ),
    "trim": (
        lambda actor, doc, a: doc_ops.trim_clip(
            doc, _ident(a, "clip"), _number(a, "in"), _number(a, "out")
        ),
        "Trimmed a clip",
    ),
    "move": (
        lambda actor, doc, a: doc_ops.move_clip(doc, _ident(a, "clip"), _whole(a, "index")),
        "Moved a clip",
    ),
    "remove_clip": (
        lambda actor, doc, a: doc_ops.remove_clip(doc, _ident(a, "clip")),
        "Removed a clip",
    ),
    "transition": (
        lambda actor, doc, a: doc_ops.set_transition(
            doc,
            _ident(a, "after"),
            _string(a, "kind", "cut"),
            _number(a, "duration") if "duration" in a else 0.5,
        ),
        "Changed a transition",
    ),
    "add_text": (
        lambda actor, doc, a: doc_ops.add_text(
            doc,
            text=_string(a, "text", ""),
            style=_string(a, "style", "title"),
            start=_number(a, "start") if "start" in a else 0.0,
            end=_number(a, "end") if "end" in a else 3.0,
        ),
        "Added a text",
    ),
    "remove_text": (
        lambda actor, doc, a: doc_ops.remove_text(doc, _ident(a, "id")),
        "Removed a text",
    ),
    "add_audio": (_add_audio, "Added a sound track"),
    "remove_audio": (
        lambda actor, doc, a: doc_ops.remove_audio(doc, _ident(a, "id")),
        "Removed a sound track",
    ),
    "import_captions": (_import_captions, "Imported captions"),
    "save": (_save, "Edited"),
}


def apply_edit(
    *,
    actor: Membership,
    project: EditProject,
    base_version: int | None,
    op: str,
    args: Mapping[str, Any],
) -> EditVersion:
    """Apply ``op`` with ``args`` to the project's current document and save it as a version."""
    if op not in OPERATIONS:
        raise EditorError(_("Unknown edit."))
    if not isinstance(args, Mapping):
        raise EditorError(_("The edit's details are malformed."))
    function, note = OPERATIONS[op]
    current = services.current_document(project)
    changed = function(actor, current, args)
    data = doc_ops.to_json(changed) if isinstance(changed, Document) else changed
    return services.save_document(
        actor=actor, project=project, data=data, base_version=base_version, note=note
    )
