"""A small client for OpenAI-compatible chat endpoints (llama.cpp server, vLLM, Ollama, ...).

Only what the generative composer needs: one ``POST {base_url}/chat/completions`` with
``model``, ``messages`` and ``temperature=0``, an optional ``Authorization: Bearer`` key, a
timeout, and retries with exponential backoff on connection failures, HTTP 429 and 5xx.
A slow model (a read timeout) is not retried: asking again would only wait as long again.

Nothing here runs unless ``MEDREF_LLM__BASE_URL`` is set: the composer refuses to start
without it, and this module never picks a default endpoint. Every error is an
:class:`LLMError` (a :class:`~medref.errors.MedrefError`) whose message names the endpoint
and never the API key. ``httpx`` comes with the ``llm`` extra.

    >>> client = OpenAIChatClient(LLMSettings(base_url="http://127.0.0.1:8080/v1"))  # doctest: +SKIP
    >>> client.chat([{"role": "user", "content": "Hello"}]).content                   # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from medref.errors import ConfigError, MedrefError, MissingExtraError
from medref.settings import LLMSettings

if TYPE_CHECKING:
    import httpx

Message = dict[str, str]

#: Longest wait honoured from a ``Retry-After`` header, and the cap of the backoff itself.
MAX_BACKOFF_S = 30.0
_ROLES = frozenset({"system", "user", "assistant"})


class LLMError(MedrefError):
    """The language model endpoint failed, timed out or answered something unusable."""


@dataclass(frozen=True)
class ChatReply:
    """The parts of a ``chat.completion`` object the composer uses."""

    content: str
    model: str | None = None
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)


class ChatClient(Protocol):
    """Anything that can answer a list of chat messages (the real client, or a test double)."""

    def chat(self, messages: Sequence[Message]) -> ChatReply: ...


def endpoint_url(base_url: str) -> str:
    """``{base_url}/chat/completions``, checking that ``base_url`` is an http(s) URL."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"MEDREF_LLM__BASE_URL must be an http(s) URL such as http://127.0.0.1:8080/v1, got {base_url!r}"
        )
    return base_url.strip().rstrip("/") + "/chat/completions"


class OpenAIChatClient:
    """Synchronous chat client over httpx. Thread-safe as far as httpx.Client is."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not settings.base_url:
            raise ConfigError(
                "no language model endpoint is configured: set MEDREF_LLM__BASE_URL "
                "(e.g. http://127.0.0.1:8080/v1) or base_url in the [llm] table of the MEDREF_CONFIG file"
            )
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise MissingExtraError("the generative composer", "llm", "httpx") from exc
        self._httpx = httpx
        self.url = endpoint_url(settings.base_url)
        self.model = settings.model
        self.retries = settings.retries
        self.timeout_s = settings.timeout_s
        self.backoff_s = backoff_s
        self._sleep = sleep
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        self._secret = settings.api_key
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0)),
            transport=transport,
            trust_env=False,  # never route a local endpoint through a proxy from the environment
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAIChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def chat(self, messages: Sequence[Message]) -> ChatReply:
        """Send ``messages`` and return the first choice; raises :class:`LLMError`."""
        for m in messages:
            if m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
                raise ValueError(
                    f"bad chat message {m!r}: needs a role in {sorted(_ROLES)} and string content"
                )
        payload = {"model": self.model, "messages": list(messages), "temperature": 0, "stream": False}
        httpx = self._httpx
        last = ""
        for attempt in range(self.retries + 1):
            retry_after: float | None = None
            try:
                response = self._client.post(self.url, json=payload)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError) as exc:
                last = f"could not connect to the language model at {self.url} ({type(exc).__name__}: {exc})"
            except httpx.TimeoutException as exc:
                raise LLMError(
                    f"the language model at {self.url} did not answer within {self.timeout_s:g} s "
                    f"({type(exc).__name__}); raise MEDREF_LLM__TIMEOUT_S or use a faster model"
                ) from exc
            except httpx.HTTPError as exc:
                raise LLMError(f"request to the language model at {self.url} failed: {exc}") from exc
            else:
                status = response.status_code
                if status == 429 or status >= 500:
                    last = f"the language model at {self.url} answered HTTP {status}: {self._server_says(response)}"
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                elif status >= 400:
                    raise LLMError(
                        f"the language model at {self.url} refused the request with HTTP {status}: "
                        f"{self._server_says(response)}{_hint(status)}"
                    )
                else:
                    return self._reply(response)
            if attempt < self.retries:
                delay = self.backoff_s * (2**attempt)
                if retry_after is not None:
                    delay = max(delay, retry_after)
                self._sleep(min(delay, MAX_BACKOFF_S))
        tries = self.retries + 1
        raise LLMError(f"{last} (gave up after {tries} attempt{'s' if tries != 1 else ''})")

    def _server_says(self, response: httpx.Response) -> str:
        """The server's error message, with the API key blanked should the server echo it."""
        text = _error_text(response)
        return text.replace(self._secret, "***") if self._secret else text

    def _reply(self, response: httpx.Response) -> ChatReply:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LLMError(
                f"the language model at {self.url} answered with something that is not JSON"
            ) from exc
        try:
            choice = body["choices"][0]
            message = choice["message"]
            content = message.get("content")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(
                f"the language model at {self.url} answered JSON without choices[0].message "
                "(is this an OpenAI-compatible /v1 endpoint?)"
            ) from exc
        if content is None:
            content = ""
        if not isinstance(content, str):
            raise LLMError(f"the language model at {self.url} answered non-text message content")
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        model = body.get("model") if isinstance(body.get("model"), str) else None
        finish = choice.get("finish_reason") if isinstance(choice.get("finish_reason"), str) else None
        return ChatReply(content=content, model=model, finish_reason=finish, usage=usage or {})


_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.S | re.I)
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*|\s*```\s*$")


def reply_json(content: str) -> tuple[Any, str]:
    """The JSON value in a model's reply (or None) and the reply without reasoning or fences.

    Local models often wrap JSON in a code fence, put a ``<think>`` block before it, or add a
    sentence around it; the first JSON value that parses wins.
    """
    text = _FENCE.sub("", _THINK.sub("", content)).strip()
    try:
        return json.loads(text), text
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for i in [m.start() for m in re.finditer(r"[{\[]", text)][:20]:
        try:
            return decoder.raw_decode(text, i)[0], text
        except json.JSONDecodeError:
            continue
    return None, text


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff


def _error_text(response: httpx.Response, limit: int = 200) -> str:
    """The server's error message, short; OpenAI-style ``{"error": {"message": ...}}`` first."""
    try:
        body = response.json()
    except Exception:
        text = response.text.strip()
        return (text[:limit] + "...") if len(text) > limit else (text or response.reason_phrase)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"][:limit]
        if isinstance(err, str):
            return err[:limit]
    return json.dumps(body)[:limit]


def _hint(status: int) -> str:
    if status in (401, 403):
        return " (check MEDREF_LLM__API_KEY)"
    if status == 404:
        return " (check MEDREF_LLM__BASE_URL, which usually ends in /v1, and MEDREF_LLM__MODEL)"
    return ""
