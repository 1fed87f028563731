"""Sessions that end give back what they held, and a reload finds its training again.

    sessions.watch()                       # app.py, every run: starts the server's watcher once
    sessions.hold(keys, describe)          # a page whose work should survive a reload
    sessions.recover()                     # app.py, every run: a reload takes the old session's work over
    sessions.url_values()                  # {"run": token} while this session holds work

Streamlit keeps the session of a tab that went away for server.disconnectedSessionTTL (two minutes), in case
the tab comes back, and afterwards drops it only when some later session disconnects: on a shared server the
models of closed tabs stayed for half an hour. The watcher here, a task on Streamlit's event loop, closes a
session once it has been disconnected for GRACE seconds, clears its session state (models, optimizer state,
traces, figures), collects the garbage and asks the C allocator to give free pages back to the system.

A reload is a new session in the same tab. A session that holds work names it with a token in its URL (`run`);
the new session finds the old one by that token while the old one waits out its grace, and takes its work
over. After that the token can only say what was lost. A token works in the browser that made it and only
once its own session has gone, so a copied link never hands one person's models to another.

Streamlit offers no hook for a session's end: the watcher reads its session manager (Runtime internals); if
they change, it logs once and does nothing, and the app works as before.
"""
from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from explorer.app import catalog
from explorer.i18n import _, ngettext, sentences

GRACE_S = 20.0  # a reload reconnects within a few seconds; a network blip of this length is forgiven too
POLL_S = 5.0
# A closed session's script thread may still be finishing a training tick and drops its tensors only
# then, after the first trim; the watcher trims again on the next polls so that memory comes back too.
TRIMS_AFTER_CLOSE = 3
LOST_KEEP_S = 3600.0  # how long a token can still say what was lost (a few numbers each)
TOKEN = "run"  # the URL key
MINE = "_run_token"  # session_state: this session's token, once it holds work
RECOVERED = "_run_recovered"  # session_state: tokens already looked up in this session

_log = logging.getLogger(__name__)


def grace_seconds() -> float:
    try:
        value = float(os.environ.get("RNN_EXPLORER_SESSION_GRACE_S", GRACE_S))
    except ValueError:
        return GRACE_S
    return value if value >= 0 else GRACE_S


@dataclass
class Work:
    session_id: str
    browser: str
    keys: tuple[str, ...]  # the session_state keys that make it up
    # {key: value} -> {"models": n, "steps": n}: what the work is, read when it is taken over or lost (a
    # function of the values, never holding them, so the registry keeps no memory alive)
    describe: Callable[[dict], dict] | None = None
    counts: dict = field(default_factory=dict)  # filled in when the work is taken over or lost

    def count(self, values: dict) -> dict:
        counts = {"models": 0, "steps": 0, "kept": len(values.get(catalog.USER_MODELS) or {})}
        if self.describe is not None:
            try:
                counts.update(self.describe(values))
            except Exception:  # a sentence's numbers are not worth a failure
                pass
        return counts


@dataclass
class _Registry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    work: dict[str, Work] = field(default_factory=dict)  # token -> the work a session holds
    lost: dict[str, tuple[float, Work]] = field(default_factory=dict)  # token -> (when, what went)
    started: bool = False


REGISTRY = _Registry()


# ------------------------------------------------------------------------------------------------
# the watcher


def watch() -> None:
    """Start the watcher on Streamlit's event loop, once per server process (no-op under AppTest)."""
    if REGISTRY.started:
        return
    with REGISTRY.lock:
        if REGISTRY.started:
            return
        REGISTRY.started = True
    runtime = _runtime()
    if runtime is None:
        return
    try:
        loop = runtime._get_async_objs().eventloop
        asyncio.run_coroutine_threadsafe(_watch(runtime), loop)
    except (AttributeError, RuntimeError) as err:
        _log.warning("The session watcher could not start (%s); closed tabs keep their memory until "
                     "Streamlit drops them.", err)


def _runtime():
    from streamlit import runtime
    from streamlit.runtime import Runtime

    if not runtime.exists():
        return None
    runtime = runtime.get_instance()
    if type(runtime) is not Runtime:  # AppTest's stand-in: no sessions, no event loop
        return None
    manager = getattr(runtime, "_session_mgr", None)
    if manager is None or not hasattr(manager, "list_active_sessions") or not hasattr(manager, "list_sessions"):
        _log.warning("Streamlit's session manager has changed; the session watcher stays off.")
        return None
    return runtime


async def _watch(runtime) -> None:
    gone_since: dict[str, float] = {}
    trims_left = 0
    while True:
        await asyncio.sleep(POLL_S)
        try:
            if reap(runtime, gone_since, time.monotonic()):
                trims_left = TRIMS_AFTER_CLOSE
            if trims_left:
                trims_left -= 1
                release_memory()
        except Exception:  # the watcher must outlive one bad turn; the next poll tries again
            _log.exception("The session watcher failed this turn")


def reap(runtime, gone_since: dict[str, float], now: float) -> int:
    """Close every session disconnected for longer than the grace; returns how many were closed.
    Runs on the event loop, where Streamlit's session manager may be touched."""
    manager = runtime._session_mgr
    active = {info.session.id for info in manager.list_active_sessions()}
    waiting = {info.session.id: info.session for info in manager.list_sessions() if info.session.id not in active}
    for session_id in list(gone_since):
        if session_id not in waiting:
            del gone_since[session_id]
    closed = 0
    grace = grace_seconds()
    for session_id, session in waiting.items():
        since = gone_since.setdefault(session_id, now)
        if now - since < grace:
            continue
        _forget(session_id, session.session_state, now)
        try:
            session.session_state.clear()  # even if something still refers to the session, its models go
        except Exception:  # pragma: no cover - a session half shut down; closing it below is what matters
            pass
        runtime.close_session(session_id)
        gone_since.pop(session_id, None)
        closed += 1
    known = active | set(waiting)
    with REGISTRY.lock:
        for token, work in list(REGISTRY.work.items()):
            if work.session_id not in known:  # dropped by Streamlit itself
                del REGISTRY.work[token]
                REGISTRY.lost[token] = (now, work)
        for token, (when, _work) in list(REGISTRY.lost.items()):
            if now - when > LOST_KEEP_S:
                del REGISTRY.lost[token]
    return closed


def _forget(session_id: str, state, now: float) -> None:
    with REGISTRY.lock:
        for token, work in list(REGISTRY.work.items()):
            if work.session_id == session_id:
                work.counts = work.count(_values(state, work.keys, remove=False))
                del REGISTRY.work[token]
                REGISTRY.lost[token] = (now, work)


def _values(state, keys, *, remove: bool) -> dict:
    values = {}
    for key in keys:
        try:
            values[key] = state[key]
            if remove:
                del state[key]
        except KeyError:
            continue
    return values


def release_memory() -> None:
    """Collect the garbage, then give the allocator's free pages back to the system: glibc keeps freed
    memory of a process's main heap for reuse, so without this the server's size never falls."""
    gc.collect()
    _malloc_trim()


def _malloc_trim() -> None:
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to ask
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)


# ------------------------------------------------------------------------------------------------
# work that survives a reload


def browser() -> str:
    """Who asked, as far as a session can tell: the token in Streamlit's XSRF cookie stays with a browser."""
    try:
        cookie = st.context.cookies.get("_streamlit_xsrf") or st.context.headers.get("User-Agent") or ""
    except Exception:  # no request behind this run (AppTest)
        cookie = ""
    if not isinstance(cookie, str):
        cookie = ""
    return hashlib.sha256(xsrf_token(cookie).encode("utf-8", "replace")).hexdigest()[:16]


def xsrf_token(cookie: str) -> str:
    """The token inside an XSRF cookie: version 2 ("2|mask|masked token|time") is masked afresh on every page
    load, the token itself stays; anything else is used as it is."""
    parts = cookie.split("|")
    if len(parts) == 4 and parts[0] == "2":
        try:
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return cookie
        if mask:
            return bytes(b ^ mask[i % len(mask)] for i, b in enumerate(masked)).hex() + "|" + parts[3]
    return cookie


def _session_id() -> str | None:
    ctx = get_script_run_ctx(suppress_warning=True)
    return ctx.session_id if ctx is not None else None


def hold(keys: tuple[str, ...], describe: Callable[[dict], dict] | None = None) -> None:
    """Register this session's work (the session_state `keys`, added to what it already holds), so that a
    reload of its tab can take it over; `describe` counts it for the sentences after a reload."""
    token = st.session_state.get(MINE)
    if token is None:
        token = st.session_state[MINE] = secrets.token_urlsafe(12)
    session_id = _session_id()
    if session_id is None:
        return
    with REGISTRY.lock:
        work = REGISTRY.work.get(token)
        if work is None or work.session_id != session_id:
            work = REGISTRY.work[token] = Work(session_id, browser(), ())
        work.keys = tuple(dict.fromkeys(work.keys + tuple(keys)))
        if describe is not None:
            work.describe = describe


def keep_kept_models() -> None:
    """app.py, after every page: the models kept on Train live or uploaded on Your model survive a reload too."""
    kept = st.session_state.get(catalog.USER_MODELS)
    if kept:
        hold((catalog.USER_MODELS,))


def url_values() -> dict[str, str]:
    token = st.session_state.get(MINE)
    return {TOKEN: token} if token is not None else {}


@dataclass
class Outcome:
    recovered: bool
    work: Work


def take_over(token: str) -> Outcome | None:
    """The work registered under `token`, moved into this session if its own session has gone (a reload);
    None when the token is this session's, another browser's, unknown, or its session is still open."""
    session_id, me = _session_id(), browser()
    runtime = _runtime()
    with REGISTRY.lock:
        work = REGISTRY.work.get(token)
        lost = REGISTRY.lost.get(token)
    if work is None:
        if lost is not None and lost[1].browser == me:
            with REGISTRY.lock:
                REGISTRY.lost.pop(token, None)  # said once
            return Outcome(False, lost[1])
        return None
    if work.session_id == session_id or work.browser != me or runtime is None:
        return None
    manager = runtime._session_mgr
    if manager.get_active_session_info(work.session_id) is not None:
        return None  # the old tab is still open: a copied link, not a reload
    info = manager.get_session_info(work.session_id)
    if info is None:
        return None
    _wait_for_script(info.session)
    values = _values(info.session.session_state, work.keys, remove=True)
    work.counts = work.count(values)
    with REGISTRY.lock:
        REGISTRY.work.pop(token, None)
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[MINE] = token
    _close_soon(runtime, work.session_id)
    return Outcome(True, work)


def _wait_for_script(session, timeout: float = 5.0) -> None:
    """A reload in the middle of a training chunk: the old session's script stops after the chunk."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = getattr(session, "_state", None)
        if state is None or getattr(state, "name", "") != "APP_IS_RUNNING":
            return
        time.sleep(0.05)


def _close_soon(runtime, session_id: str) -> None:
    try:
        loop = runtime._get_async_objs().eventloop
        loop.call_soon_threadsafe(runtime.close_session, session_id)
    except (AttributeError, RuntimeError):  # the watcher closes it after its grace
        pass


def recover() -> None:
    """app.py, every run: a link carrying another session's token (a reload) takes its work over, and says so."""
    token = st.query_params.get(TOKEN)
    if not token or token == st.session_state.get(MINE):
        return
    asked = st.session_state.setdefault(RECOVERED, set())
    if token in asked:
        return
    asked.add(token)
    outcome = take_over(token)
    if outcome is None:
        return
    n = outcome.work.counts
    if outcome.recovered:
        said = [ngettext("After the reload the work of this tab is back: {models} model trained for {steps} steps.",
                         "After the reload the work of this tab is back: {models} models trained for {steps} steps.",
                         n["models"]).format(**n) if n["models"] else
                _("After the reload the work of this tab is back.")]
        if n["kept"]:
            said.append(ngettext("{kept} kept model too.", "{kept} kept models too.", n["kept"]).format(**n))
        if n["models"]:
            said.append(_("Press Play on Train live to go on."))
        st.success(sentences(said), icon=":material/restore:")
    elif n["models"] or n["kept"]:
        st.warning(_("This tab was reloaded after the server had let its earlier session go, so what it trained "
                     "is gone ({models} models, {steps} steps; {kept} kept). A reload within {grace} seconds brings "
                     "training back. To keep a model for longer, press “Keep the trained models” on Train live and "
                     "download it; the file opens again on Your model.").format(**n, grace=int(grace_seconds())),
                   icon=":material/history:")
