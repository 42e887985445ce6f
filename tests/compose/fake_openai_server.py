"""A tiny local server that speaks the OpenAI chat-completions protocol, for tests.

It listens on 127.0.0.1 on an ephemeral port, in a background thread, and answers
``POST /v1/chat/completions`` the way llama.cpp server, vLLM or Ollama do: it checks the
request (JSON object, ``model`` string, non-empty ``messages`` of ``{role, content}``,
numeric ``temperature``, no streaming, the bearer key when one is set) and replies with a
``chat.completion`` object whose ``choices[0].message.content`` is the next scripted step.
Invalid requests get a 400 with an OpenAI-style ``{"error": {...}}`` body and are recorded
in :attr:`FakeOpenAIServer.problems`, so a test can assert the client spoke correctly.

Steps: :class:`Reply` (content, or a function of the request body), :class:`Fail` (an HTTP
error such as 500 or 429 with ``Retry-After``) and :class:`Stall` (answer only after a delay,
to provoke a client timeout). Every request is recorded in :attr:`FakeOpenAIServer.requests`.

    with FakeOpenAIServer() as server:
        server.script(Fail(500), Reply('{"research_points": []}'))
        ... LLMSettings(base_url=server.base_url) ...
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROLES = frozenset({"system", "user", "assistant", "tool", "developer"})


@dataclass
class Reply:
    content: str | Callable[[dict[str, Any]], str]
    finish_reason: str = "stop"


@dataclass
class Fail:
    status: int
    message: str = "scripted failure"
    retry_after: str | None = None


@dataclass
class Stall:
    seconds: float
    then: Reply = field(default_factory=lambda: Reply("{}"))


Step = Reply | Fail | Stall


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def validate_chat_request(body: Any) -> str | None:
    """Why ``body`` is not a valid chat-completions request, or None."""
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "'model' must be a non-empty string"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"messages[{i}].role must be one of {sorted(ROLES)}"
        if not isinstance(m.get("content"), str):
            return f"messages[{i}].content must be a string"
    temperature = body.get("temperature", 1)
    if isinstance(temperature, bool) or not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
        return "'temperature' must be a number between 0 and 2"
    if body.get("stream"):
        return "this server only answers non-streaming requests"
    return None


class FakeOpenAIServer:
    def __init__(self, *, api_key: str | None = None, model_name: str | None = None) -> None:
        self.api_key = api_key
        self.model_name = model_name
        self.requests: list[Recorded] = []
        self.problems: list[str] = []
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    # ------------------------------------------------------------------ control
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None

    # ------------------------------------------------------------------ HTTP
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    pass

            def _error(
                self, status: int, message: str, kind: str, headers: dict[str, str] | None = None
            ) -> None:
                error = {"message": message, "type": kind, "param": None, "code": None}
                self._send(status, {"error": error}, headers)

            def do_GET(self) -> None:
                server.requests.append(Recorded("GET", self.path, dict(self.headers), None))
                if self.path.rstrip("/") == "/v1/models":
                    model = {"id": server.model_name or "fake", "object": "model", "owned_by": "tests"}
                    self._send(200, {"object": "list", "data": [model]})
                else:
                    self._error(404, f"no route {self.path}", "not_found_error")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body: Any = json.loads(raw or b"null")
                except json.JSONDecodeError:
                    body = None
                server.requests.append(Recorded("POST", self.path, dict(self.headers), body))
                if self.path != "/v1/chat/completions":
                    self._error(404, f"no route {self.path}", "not_found_error")
                    return
                if server.api_key and self.headers.get("Authorization") != f"Bearer {server.api_key}":
                    presented = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                    self._error(401, f"invalid API key provided: {presented}", "authentication_error")
                    return
                problem = None
                if "application/json" not in (self.headers.get("Content-Type") or ""):
                    problem = "Content-Type must be application/json"
                problem = problem or validate_chat_request(body)
                if problem:
                    server.problems.append(problem)
                    self._error(400, problem, "invalid_request_error")
                    return
                step = server._next()
                if step is None:
                    server.problems.append("a request arrived after the script ran out")
                    self._error(500, "no scripted reply left", "server_error")
                    return
                if isinstance(step, Fail):
                    headers = {"Retry-After": step.retry_after} if step.retry_after is not None else None
                    self._error(step.status, step.message, "server_error", headers)
                    return
                if isinstance(step, Stall):
                    server._closing.wait(step.seconds)
                    step = step.then
                content = step.content(body) if callable(step.content) else step.content
                prompt_words = sum(len(m["content"].split()) for m in body["messages"])
                completion_words = len(content.split())
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(server.requests)}",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": server.model_name or body["model"],
                        "system_fingerprint": "fake-openai-server",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "logprobs": None,
                                "finish_reason": step.finish_reason,
                            }
                        ],
                        "usage": {
                            "prompt_tokens": prompt_words,
                            "completion_tokens": completion_words,
                            "total_tokens": prompt_words + completion_words,
                        },
                    },
                )

        return Handler
