"""The Gateway: litellm calls by alias with bounded concurrency, retries, fallbacks and a USD cap."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
import uuid
import weakref
from collections import Counter
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from llmops.core.errors import LlmopsError
from llmops.core.settings.gateway import ModelAlias
from llmops.gateway.errors import BudgetExceeded
from llmops.gateway.records import CallRecord, GatewaySummary, ServedIdentity
from llmops.gateway.retry import backoff_s, classify, describe
from llmops.gateway.routing import Route, check_aliases, route

if TYPE_CHECKING:
    import litellm

    from llmops.core.settings import Settings
    from llmops.costs.pricing import PriceBook

log = logging.getLogger(__name__)
T = TypeVar("T")
Kind = Literal["chat", "embedding"]
SIMULATOR_HEADER = "x-llmops-simulator"
TIMEOUT_GRACE_S = 5.0  # hard bound over litellm's own per-request timeout


def _litellm() -> Any:
    """litellm, imported on first use with offline settings and without chatter."""
    from llmops.core.offline import apply_offline_defaults

    apply_offline_defaults()
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, also when the calling thread already runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class Gateway:
    """Every LLM call of a run: by alias (`candidate`, `judge`, `embedder`) or litellm model string.

    The signatures of `acompletion` / `aembedding` are litellm's, so the gateway can be handed to
    instructor, ragas and deepeval. `records` holds one CallRecord per call, failed ones too.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        usd_cap: float | None = None,
        concurrency: int | None = None,
        purpose: str | None = None,
    ) -> None:
        """Aliases, cap and concurrency from settings unless given (usd_cap None: the setting's)."""
        if settings is None:
            from llmops.core.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.aliases: dict[str, ModelAlias] = dict(settings.models)
        check_aliases(self.aliases)
        self.usd_cap = usd_cap if usd_cap is not None else settings.gateway.usd_cap
        self.concurrency = concurrency or settings.gateway.concurrency
        if self.concurrency < 1:
            raise LlmopsError(f"concurrency must be >= 1, got {self.concurrency}")
        self.purpose = purpose
        self.records: list[CallRecord] = []
        self.refused = 0
        self._spent = 0.0
        self._lock = threading.Lock()
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._simulator_url: str | None = None
        self._simulator_lock = threading.Lock()
        self._prices: PriceBook | None = None
        self._unpriced: set[str] = set()
        self._rng = random.Random()

    # -- the litellm-compatible API ---------------------------------------------------------

    async def acompletion(
        self, model: str, messages: list[dict], **kwargs: Any
    ) -> litellm.ModelResponse:
        """A chat completion by alias (or litellm model string); litellm's exceptions on failure."""
        return await self._call("chat", model, kwargs, {"messages": messages})

    async def aembedding(
        self,
        model: str,
        input: list[str],  # noqa: A002 - litellm's parameter name
        **kwargs: Any,
    ) -> litellm.EmbeddingResponse:
        """Embeddings by alias (or litellm model string); litellm's exceptions on failure."""
        return await self._call("embedding", model, kwargs, {"input": input})

    def completion(self, model: str, messages: list[dict], **kwargs: Any) -> litellm.ModelResponse:
        """Sync `acompletion`."""
        return run_sync(self.acompletion(model, messages, **kwargs))

    def embedding(
        self,
        model: str,
        input: list[str],  # noqa: A002 - litellm's parameter name
        **kwargs: Any,
    ) -> litellm.EmbeddingResponse:
        """Sync `aembedding`."""
        return run_sync(self.aembedding(model, input, **kwargs))

    # -- accounting ---------------------------------------------------------------------------

    @property
    def spent_usd(self) -> float:
        """USD spent by the priced calls so far."""
        return self._spent

    def summary(self) -> GatewaySummary:
        """Calls, failures, retries, cost and the model identities that answered."""
        with self._lock:
            records = list(self.records)
        identities: Counter[tuple[str, str | None, str | None, bool]] = Counter(
            (r.served_alias or r.alias, r.served_model, r.system_fingerprint, r.simulated)
            for r in records
            if r.ok
        )
        return GatewaySummary(
            calls=len(records),
            failures=sum(not r.ok for r in records),
            retries=sum(max(0, r.attempts - 1) for r in records),
            refused=self.refused,
            prompt_tokens=sum(r.prompt_tokens for r in records),
            completion_tokens=sum(r.completion_tokens for r in records),
            cost_usd=self._spent,
            unpriced_calls=sum(r.ok and r.cost_usd is None for r in records),
            usd_cap=self.usd_cap,
            served=[
                ServedIdentity(alias=a, served_model=m, system_fingerprint=f, simulated=s, calls=n)
                for (a, m, f, s), n in sorted(identities.items(), key=lambda kv: str(kv[0]))
            ],
            simulated=any(r.simulated for r in records if r.ok),
        )

    # -- internals ----------------------------------------------------------------------------

    def _semaphore(self) -> asyncio.Semaphore:
        """The bound on calls in flight, one per running event loop (ragas/deepeval run their own)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            sem = self._semaphores.get(loop)
            if sem is None:
                sem = self._semaphores[loop] = asyncio.Semaphore(self.concurrency)
        return sem

    def _price_book(self) -> PriceBook:
        if self._prices is None:
            from llmops.costs.pricing import PriceBook, load_overrides

            self._prices = PriceBook(load_overrides(self.settings.prices_file))
        return self._prices

    def _resolve(self, name: str, kind: Kind) -> tuple[str, ModelAlias]:
        """Alias by name, else the alias configured with that model string, else an ad-hoc one."""
        alias = self.aliases.get(name)
        if alias is None:
            matches = [
                (n, a)
                for n, a in self.aliases.items()
                if a.kind == kind and name in (a.model, a.bare_model)
            ]
            if matches:
                return matches[0]
            alias = ModelAlias(model=name, kind=kind)
        if alias.kind != kind:
            raise LlmopsError(f"models.{name}.kind is {alias.kind}: it cannot serve a {kind} call")
        return name, alias

    def _ensure_simulator_once(self) -> str:
        """The simulator's URL, checked (or started) by the first call only."""
        from llmops.services.simulator import ensure_simulator

        with self._simulator_lock:
            if self._simulator_url is None:
                self._simulator_url = ensure_simulator(self.settings)
            return self._simulator_url

    async def _route(self, name: str, alias: ModelAlias) -> Route:
        if alias.uses_simulator and self._simulator_url is None:
            # hundreds of calls may start at once: one health check, not one per call
            await asyncio.to_thread(self._ensure_simulator_once)
        return route(name, alias, self._simulator_url)

    def _check_budget(self) -> None:
        with self._lock:
            if self.usd_cap is None or self._spent < self.usd_cap:
                return
            self.refused += 1
            calls, failures = len(self.records), sum(not r.ok for r in self.records)
        raise BudgetExceeded(self.usd_cap, self._spent, calls, failures)

    async def _call(
        self, kind: Kind, name: str, kwargs: dict[str, Any], payload: dict[str, Any]
    ) -> Any:
        """Primary alias with retries, then each fallback; one CallRecord whatever happens."""
        if kwargs.get("stream"):
            raise LlmopsError("stream=True is not supported by the gateway (usage is recorded)")
        metadata = kwargs.pop("metadata", None) or {}
        purpose = metadata.get("purpose") if isinstance(metadata, dict) else None
        timeout = kwargs.pop("timeout", None)
        retries = kwargs.pop("num_retries", None)
        retries = kwargs.pop("max_retries", retries)
        alias_name, alias = self._resolve(name, kind)
        self._check_budget()
        chain = [(alias_name, alias)] + [(fb, self.aliases[fb]) for fb in alias.fallbacks]
        fn = _litellm().acompletion if kind == "chat" else _litellm().aembedding
        started_at, t0 = datetime.now(UTC), time.perf_counter()
        errors: list[str] = []
        last: BaseException | None = None
        current: Route | None = None
        try:
            for cand_name, cand in chain:
                current = await self._route(cand_name, cand)
                budget = int(retries) if retries is not None else cand.max_retries
                per_try = float(timeout) if timeout is not None else cand.timeout_s
                request = {
                    **cand.params,
                    **kwargs,
                    **payload,
                    "model": current.model,
                    "timeout": per_try,
                    "max_retries": 0,  # retries are ours (openai's client would add its own)
                }
                if current.api_base:
                    request.setdefault("api_base", current.api_base)
                if current.api_key:
                    request.setdefault("api_key", current.api_key)
                for attempt in range(budget + 1):
                    if attempt:
                        gw = self.settings.gateway
                        await asyncio.sleep(
                            backoff_s(
                                attempt,
                                last,
                                gw.backoff_base_s,
                                gw.backoff_max_s,
                                gw.retry_after_max_s,
                                self._rng,
                            )
                        )
                    try:
                        async with self._semaphore():
                            self._check_budget()  # here, so queued calls see the latest spend
                            response = await asyncio.wait_for(
                                fn(**request), timeout=per_try + TIMEOUT_GRACE_S
                            )
                    except BudgetExceeded:
                        raise
                    except Exception as exc:  # noqa: BLE001 - classified, recorded, re-raised
                        last = exc
                        errors.append(describe(exc))
                        verdict = classify(exc)
                        if verdict == "fatal":
                            raise
                        if verdict == "next_alias":
                            break
                        continue
                    self._record_success(
                        kind, alias_name, purpose, current, response, started_at, t0, errors
                    )
                    return response
            assert last is not None
            raise last
        except BaseException as exc:
            if not (isinstance(exc, BudgetExceeded) and not errors):  # refused: not a call
                self._record_failure(
                    kind, alias_name, alias, purpose, current, started_at, t0, errors, exc
                )
            raise

    def _record_success(
        self,
        kind: Kind,
        alias_name: str,
        purpose: str | None,
        current: Route,
        response: Any,
        started_at: datetime,
        t0: float,
        errors: list[str],
    ) -> None:
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        completion = int(getattr(usage, "completion_tokens", 0) or 0)
        details = getattr(usage, "prompt_tokens_details", None)
        cached = int(getattr(details, "cached_tokens", 0) or 0)
        hidden = getattr(response, "_hidden_params", None) or {}
        headers = hidden.get("additional_headers") or {}
        simulated = current.simulated or f"llm_provider-{SIMULATOR_HEADER}" in headers
        served = getattr(response, "model", None)
        provider, model = current.price_key
        resolved = self._price_book().resolve(provider, model, None if simulated else served)
        cost = None
        if resolved.price is not None:
            p = resolved.price
            cost = (prompt - cached) * p.input + cached * p.cached_input + completion * p.output
        record = CallRecord(
            call_id=uuid.uuid4().hex,
            started_at=started_at,
            kind=kind,
            alias=alias_name,
            served_alias=current.alias,
            purpose=purpose or self.purpose,
            requested_model=current.model,
            served_model=served,
            system_fingerprint=getattr(response, "system_fingerprint", None),
            provider=current.provider,
            simulated=simulated,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            cost_usd=cost,
            priced_model=resolved.price.key if resolved.price else None,
            latency_ms=(time.perf_counter() - t0) * 1000,
            attempts=len(errors) + 1,
            attempt_errors=list(errors),
        )
        with self._lock:
            self.records.append(record)
            self._spent += cost or 0.0
        if cost is None and model not in self._unpriced:
            self._unpriced.add(model)
            log.warning("no price for %s: its calls are not counted against the USD cap", model)

    def _record_failure(
        self,
        kind: Kind,
        alias_name: str,
        alias: ModelAlias,
        purpose: str | None,
        current: Route | None,
        started_at: datetime,
        t0: float,
        errors: list[str],
        exc: BaseException,
    ) -> None:
        record = CallRecord(
            call_id=uuid.uuid4().hex,
            started_at=started_at,
            kind=kind,
            alias=alias_name,
            served_alias=None,
            purpose=purpose or self.purpose,
            requested_model=current.model if current else alias.model,
            provider=current.provider if current else (alias.provider or "unknown"),
            simulated=current.simulated if current else alias.uses_simulator,
            latency_ms=(time.perf_counter() - t0) * 1000,
            attempts=len(errors),
            attempt_errors=list(errors),
            error=describe(exc),
        )
        with self._lock:
            self.records.append(record)
