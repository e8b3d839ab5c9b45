"""A local fake of the OpenAI HTTP API, driven through the real ``openai`` SDK.

Serves ``/v1/chat/completions`` (plain and ``json_schema`` response formats),
``/v1/images/generations`` (base64 PNG of the requested size), ``/v1/audio/speech``
(a real MP3: a sine tone about as long as the text would take to say, see ``speech_mp3``)
and ``/v1/audio/transcriptions`` (multipart upload; see ``transcript``) on 127.0.0.1 with an
ephemeral port. Every request is recorded (path, headers, JSON body; for a multipart upload
its fields, with the file as its name, type and size). Structured answers follow the schema's name: ``scripts``,
``storyboard``, ``shorter`` and the inbox's ``replies``. Faults are queued per call with
``fail_next(kind)``:

    quota      429 insufficient_quota        auth      401 invalid_api_key
    rate       429 rate_limit_exceeded       refusal   400 content_policy_violation
    model      404 model_not_found           server    500 server_error
    malformed  200 with content that is not valid for the schema
    not_json   200 with content that is not JSON
    refuse     200 with message.refusal set
    bad_image  200 from images/generations whose b64_json is not an image
    slow       sleep ``slow_seconds`` before answering normally
    ok         answer normally (queue it first to fault a later call: "ok", "ok", "bad_image")

Transcriptions answer like OpenAI's ``verbose_json`` (text, language, duration, segments with
start/end/text, usage in seconds), read from the uploaded audio itself: ffmpeg measures its
duration and loudness; a silent file gets no segments (``text`` ""), any other gets the fixed
``TRANSCRIPT`` lines, spread over the duration in proportion to their length (whisper's
leading space included). A missing file is a 400, a file ffmpeg can't decode a 400 "Invalid
file format", a body over 25 MB a 413, each with OpenAI's error shape.
"""

import base64
import email.parser
import email.policy
import functools
import io
import json
import math
import re
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image

# Roughly how fast a voice reads: 15 characters a second; a voice-over lasts 1 to 20 s.
CHARS_PER_SECOND = 15
MAX_SPEECH_SECONDS = 20.0


def speech_seconds(text: str) -> float:
    """Return how long the fake's voice-over of ``text`` lasts (half-second steps)."""
    seconds = min(MAX_SPEECH_SECONDS, max(1.0, len(text) / CHARS_PER_SECOND))
    return round(seconds * 2) / 2


@functools.cache
def _sine_mp3(seconds: float) -> bytes:
    """Encode a 440 Hz tone of ``seconds`` as MP3 (once per length: ffmpeg takes ~50 ms)."""
    args = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi"]
    args += ["-i", f"sine=frequency=440:sample_rate=24000:duration={seconds}"]
    args += ["-c:a", "libmp3lame", "-b:a", "48k", "-fflags", "+bitexact", "-f", "mp3", "-"]
    return subprocess.run(args, check=True, capture_output=True, timeout=60).stdout  # noqa: S603


def speech_mp3(text: str) -> bytes:
    """Return the MP3 the fake answers ``/v1/audio/speech`` with for ``text``."""
    return _sine_mp3(speech_seconds(text))


# What the fake "hears" in any audio with sound: the second line is longer than one caption.
TRANSCRIPT = (
    "Hello and welcome to our spring collection.",
    "Every piece is made from recycled cotton, sewn by hand in our small workshop by the "
    "river, and shipped to you without any plastic at all.",
    "Order today for free delivery.",
)
# OpenAI's upload limit for transcriptions (and the message its 413 carries).
MAX_UPLOAD_BYTES = 26_214_400
# Quieter than this peak is silence (ffmpeg volumedetect's max_volume, dBFS).
SILENCE_DB = -60.0
AUDIO_FORMATS = ["flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"]


def probe_audio(data: bytes) -> tuple[float, float] | None:
    """Return (duration s, peak dBFS) of ``data`` as ffmpeg decodes it; None if it can't."""
    with tempfile.NamedTemporaryFile(suffix=".audio") as upload:
        upload.write(data)
        upload.flush()
        args = [get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", upload.name]
        args += ["-vn", "-af", "volumedetect", "-f", "null", "-"]
        done = subprocess.run(args, capture_output=True, timeout=60, check=False)  # noqa: S603
    log = done.stderr.decode("utf-8", "replace")
    duration = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", log)
    peak = re.search(r"max_volume: (-?(?:inf|\d+(?:\.\d+)?)) dB", log)
    if done.returncode != 0 or duration is None or peak is None:
        return None
    hours, minutes, seconds = duration.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds), float(peak.group(1))


def transcript(duration: float, peak_db: float) -> dict[str, Any]:
    """Return the ``verbose_json`` transcription of audio that long and that loud."""
    segments = []
    if peak_db > SILENCE_DB and duration > 0:
        total = sum(len(line) for line in TRANSCRIPT)
        at = 0.0
        for number, line in enumerate(TRANSCRIPT):
            length = duration * len(line) / total
            segments.append(
                {
                    "id": number,
                    "seek": 0,
                    "start": round(at, 2),
                    "end": round(at + length, 2),
                    "text": f" {line}",
                    "tokens": list(range(50364, 50364 + len(line.split()))),
                    "temperature": 0.0,
                    "avg_logprob": -0.25,
                    "compression_ratio": 1.3,
                    "no_speech_prob": 0.01,
                }
            )
            at += length
    return {
        "task": "transcribe",
        "language": "english",
        "duration": round(duration, 2),
        "text": "".join(segment["text"] for segment in segments).strip(),
        "segments": segments,
        "usage": {"type": "duration", "seconds": math.ceil(duration)},
    }


def parse_multipart(content_type: str, raw: bytes) -> dict[str, Any]:
    """Return a multipart/form-data body's fields: text as str, files as (name, type, bytes).

    A repeated field (``timestamp_granularities[]``) is a list.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        value: Any = (
            (filename, part.get_content_type(), payload)
            if filename is not None
            else payload.decode("utf-8")
        )
        if name in fields:
            kept = fields[name]
            fields[name] = [*(kept if isinstance(kept, list) else [kept]), value]
        else:
            fields[name] = value
    return fields


ERRORS = {
    "quota": (
        429,
        "You exceeded your current quota, please check your plan and billing details.",
        "insufficient_quota",
        "insufficient_quota",
    ),
    "rate": (429, "Rate limit reached.", "requests", "rate_limit_exceeded"),
    "auth": (
        401,
        "Incorrect API key provided: sk-te***st.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    "refusal": (
        400,
        "Your request was rejected as a result of our safety system.",
        "invalid_request_error",
        "content_policy_violation",
    ),
    "model": (404, "The model `nope` does not exist.", "invalid_request_error", "model_not_found"),
    "server": (500, "The server had an error.", "server_error", None),
}


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON


class OpenAIFake:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.faults: deque[str] = deque()
        self.slow_seconds = 2.0
        self.chat_content: deque[str] = deque()  # exact contents to return next, if any
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def fail_next(self, *kinds: str) -> None:
        self.faults.extend(kinds)

    def reset(self) -> None:
        self.requests.clear()
        self.faults.clear()
        self.chat_content.clear()

    @contextmanager
    def running(self) -> Iterator["OpenAIFake"]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()

    # -- responses --

    def _chat(self, body: dict[str, Any], fault: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
        fmt = body.get("response_format") or {}
        if fault == "refuse":
            message["refusal"] = "I'm sorry, I can't help with that."
        elif fault == "not_json":
            message["content"] = "Sure! Here are your scripts: hook, body…"
        elif fault == "malformed":
            message["content"] = json.dumps({"variants": [{"hook": 42}], "scenes": "none"})
        elif self.chat_content:
            message["content"] = self.chat_content.popleft()
        elif fmt.get("type") == "json_schema":
            name = fmt["json_schema"]["name"]
            request = json.loads(body["messages"][-1]["content"])
            message["content"] = json.dumps(self._structured(name, request))
        else:
            message["content"] = "A short summary of the text."
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            ],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 500, "total_tokens": 1500},
        }

    @staticmethod
    def _structured(name: str, request: dict[str, Any]) -> dict[str, Any]:
        if name == "shorter":
            # A model that keeps to the budget: the leading words of the line that fit.
            words, budget = request["line"].split(), request["max_chars"]
            kept = [w for i, w in enumerate(words) if len(" ".join(words[: i + 1])) <= budget]
            return {"text": " ".join(kept) or request["line"][:budget]}
        if name == "replies":
            # Reply drafts that show what the model was given: the customer's name and how
            # many messages it read (never the customers' words, which are data).
            customer = request["customer_name"] or "there"
            count = len(request["conversation"])
            drafts = [
                f"Hi {customer}, thanks for your message!",
                f"Thanks {customer}, we read all {count} messages and are on it.",
                f"Hello {customer}, someone from {request['business_name']} will reply shortly.",
            ]
            return {"replies": drafts[: request["replies"]]}
        product = request["brief"]["product_name"]
        if name == "scripts":
            return {
                "variants": [
                    {
                        "hook": f"Hook {i + 1} for {product}",
                        "body": f"Body {i + 1}.",
                        "cta": "Shop now.",
                        "voiceover": f"Hook {i + 1} for {product}. Body {i + 1}. Shop now.",
                        "on_screen_text": [f"Hook {i + 1}", "Shop now"],
                        "caption": f"Caption {i + 1} #{product.replace(' ', '')}",
                        "hashtags": [f"#{product.replace(' ', '')}", "hiking"],
                    }
                    for i in range(request["variants"])
                ]
            }
        return {
            "scenes": [
                {
                    "duration_s": 3 + i,
                    "visual": f"Shot {i + 1} of {product}",
                    "on_screen_text": f"Line {i + 1}",
                    "voiceover_line": f"Spoken {i + 1}",
                }
                for i in range(3)
            ]
        }

    @staticmethod
    def _image(body: dict[str, Any]) -> dict[str, Any]:
        width, height = (int(v) for v in body.get("size", "1024x1024").split("x"))
        out = io.BytesIO()
        Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
        return {
            "created": int(time.time()),
            "data": [{"b64_json": base64.b64encode(out.getvalue()).decode()}],
            "usage": {"input_tokens": 50, "output_tokens": 1056, "total_tokens": 1106},
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.send_header("retry-after-ms", "10")  # keeps SDK retries fast in tests
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a client that timed out ("slow") has gone

            def _json(self, status: int, data: Any) -> None:
                self._send(status, json.dumps(data).encode(), "application/json")

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                content_type = self.headers.get("Content-Type") or ""
                upload: dict[str, Any] = {}
                if content_type.startswith("multipart/form-data"):
                    upload = parse_multipart(content_type, raw)
                    body = {
                        name: {"filename": v[0], "content_type": v[1], "size": len(v[2])}
                        if isinstance(v, tuple)
                        else v
                        for name, v in upload.items()
                    }
                else:
                    body = json.loads(raw or b"{}")
                path = self.path.split("?")[0]
                fake.requests.append(Recorded("POST", path, dict(self.headers.items()), body))
                fault = fake.faults.popleft() if fake.faults else None
                if fault == "slow":
                    time.sleep(fake.slow_seconds)
                    fault = None
                if fault == "ok":
                    fault = None
                if fault in ERRORS:
                    status, message, kind, code = ERRORS[fault]
                    error = {"message": message, "type": kind, "param": None, "code": code}
                    self._json(status, {"error": error})
                    return
                if self.headers.get("Authorization") != "Bearer sk-test":
                    error = {"message": "No key", "type": "invalid_request_error", "code": None}
                    self._json(401, {"error": error})
                elif path == "/v1/chat/completions":
                    self._json(200, fake._chat(body, fault))
                elif path == "/v1/images/generations" and fault == "bad_image":
                    self._json(200, {"created": 0, "data": [{"b64_json": "bm9wZQ=="}]})
                elif path == "/v1/images/generations":
                    self._json(200, fake._image(body))
                elif path == "/v1/audio/speech":
                    self._send(200, speech_mp3(str(body.get("input", ""))), "audio/mpeg")
                elif path == "/v1/audio/transcriptions":
                    self._transcription(len(raw), upload)
                else:
                    self._json(404, {"error": {"message": f"Unknown path {path}", "code": None}})

            def _bad_request(self, message: str, param: str | None = None) -> None:
                error = {
                    "message": message,
                    "type": "invalid_request_error",
                    "param": param,
                    "code": None,
                }
                self._json(400, {"error": error})

            def _transcription(self, size: int, upload: dict[str, Any]) -> None:
                if size > MAX_UPLOAD_BYTES:
                    message = (
                        f"Maximum content size limit ({MAX_UPLOAD_BYTES}) exceeded "
                        f"({size} bytes read)"
                    )
                    error = {"message": message, "type": "server_error", "param": None}
                    self._json(413, {"error": {**error, "code": None}})
                    return
                file = upload.get("file")
                if not isinstance(file, tuple):
                    self._bad_request(
                        "1 validation error for Request\nbody -> file\n  field required"
                    )
                    return
                if not upload.get("model"):
                    self._bad_request("you must provide a model parameter", "model")
                    return
                response_format = upload.get("response_format", "json")
                if response_format not in ("json", "verbose_json"):
                    self._bad_request(
                        f"The fake answers json and verbose_json, not {response_format}.",
                        "response_format",
                    )
                    return
                probed = probe_audio(file[2])
                if probed is None:
                    self._bad_request(f"Invalid file format. Supported formats: {AUDIO_FORMATS}")
                    return
                result = transcript(*probed)
                if response_format == "json":
                    result = {"text": result["text"], "usage": result["usage"]}
                self._json(200, result)

        return Handler
