"""The live view of a training job, in fragments so that nothing reruns the whole page while
the job trains:

- :func:`controls` — pause, resume, stop, k more, roll back, share; a click reruns only this
  fragment (the job gets the control in its callback, "received" shows on the same rerun). It
  never polls, so a click never queues behind it. Others see "read-only" instead of buttons.
- :func:`charts` — two polling fragments: the progress line with the effect of the last control
  ("paused at iteration q", "first used by iteration N"), queue position and ETA (every
  ``POLL_SECONDS``); the score curves with τ and the top tokens (every ``CHART_SECONDS``: each
  redrawn Plotly figure costs the browser's main thread, and a click waits for the browser).
  Streamlit runs one fragment at a time per session, so a click waits for the poll in progress:
  the polls are kept cheap — the score history grows by the new passes only (:func:`history`),
  and the score figure and the top words are rebuilt at most every ``CHART_SHARE``⁻¹ × their
  own build time (in between the last ones are re-sent).

The job's worker thread never calls Streamlit. A full-page rerun happens only when a job ends
or comes back to life (finish, stop, "k more" on an ended job).
"""
from __future__ import annotations

import html
import time

import pandas as pd
import streamlit as st

import engine
from app import figures, glossary, identity, resources, state

K = lambda name: state.key("live", name)  # noqa: E731
POLL_SECONDS = 1.5
CHART_SECONDS = 5.0
CHART_SHARE = 0.25  # at most this share of the session's script thread goes to rebuilding figures and tables
EXTRA_SCORES = ("kernel_size", "holdout_perplexity", "dead_topics", "class_precision", "intratext_coherence",
                "segments_per_document")


def eta_text(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def top_tokens_table(snap, n: int = 8) -> pd.DataFrame:
    """Topics × their top tokens (main modality) from the snapshot, p(w|t) in %; topics named
    by their two most probable words (the same automatic names the other pages use)."""
    if not snap.top_tokens:
        return pd.DataFrame()
    mod = next(iter(snap.top_tokens))
    rows = []
    for name, tokens in zip(snap.topic_names, snap.top_tokens[mod]):
        tokens = list(tokens)
        auto = " · ".join(t for t, _ in tokens[:2]) or name
        rows.append({"topic": f"background: {auto}" if name.startswith("background") else auto,
                     "top tokens": " · ".join(f"{t} {100 * p:.1f}%" for t, p in tokens[:n])})
    return pd.DataFrame(rows)


def top_words_html(table: pd.DataFrame) -> str:
    """``top_tokens_table`` as wrapping lines of escaped HTML, one topic per line: in the page's narrow
    right-hand column a table cell cut the tokens after ~40 characters (whole text only on hover)."""
    return "".join(f"<div style='margin:0 0 .4em 0;line-height:1.35'><b>{html.escape(str(topic))}</b><br>"
                   f"<span style='font-size:.85em'>{html.escape(str(tokens))}</span></div>"
                   for topic, tokens in zip(table["topic"], table["top tokens"]))


def history(snap, cache: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, τ) of ``snap`` as long frames (as ``Snapshot.scores_frame()``/``tau_frame()``),
    built from the passes not seen before: ``cache`` (a dict kept between polls) holds the frames
    so far and the last report they include; a roll-back (other report objects) rebuilds them."""
    reports, n = snap.reports, cache.get("n", 0)
    if cache.get("job") != snap.job_id or n > len(reports) or (n and reports[n - 1] is not cache.get("last")):
        cache.clear()
        cache.update(job=snap.job_id, n=0, scores=pd.DataFrame(columns=["iteration", "score", "value"]),
                     tau=pd.DataFrame(columns=["iteration", "regularizer", "tau"]))
        n = 0
    new = reports[n:]
    if new:
        scores = pd.DataFrame([(r.iteration, k, float(v)) for r in new for k, v in r.scores.items()],
                              columns=["iteration", "score", "value"])
        tau = pd.DataFrame([(r.iteration, k, float(v)) for r in new for k, v in r.tau.items()],
                           columns=["iteration", "regularizer", "tau"])
        cache["scores"] = scores if cache["scores"].empty else pd.concat([cache["scores"], scores], ignore_index=True)
        cache["tau"] = tau if cache["tau"].empty else pd.concat([cache["tau"], tau], ignore_index=True)
        cache.update(n=len(reports), last=reports[-1])
    return cache["scores"], cache["tau"]


# ---------------------------------------------------------------- controls


def _send(job_id: str, action: str, *args) -> None:
    """Callback: send a control now and remember it for the confirmation line."""
    try:
        event = resources.job_registry().control(job_id, resources.session_owner(), action, *args)
    except engine.EngineError as e:
        st.session_state[K("sent")] = {"job": job_id, "error": str(e)}
        return
    st.session_state[K("sent")] = {"job": job_id, "action": action, "args": args, "iteration": event.iteration,
                                   "version": event.config_version, "at": time.monotonic(), "done_at": None}


def _effect(job, sent: dict) -> str | None:
    """What the job has done about the last control, or None while it has not acted yet."""
    snap = job.snapshot()
    a = sent["action"]
    if a == "pause" and snap.status == "paused":
        return f"paused at iteration {snap.iteration} (no pass started after the click)"
    if a == "resume" and snap.status in ("running", "queued"):
        return f"{snap.status} again"
    if a == "stop" and snap.done:
        return f"{snap.status} at iteration {snap.iteration}, run saved" if snap.saved else None
    if a == "rollback" and snap.iteration == sent["args"][0] and snap.done and snap.saved:
        return f"back at iteration {snap.iteration}; it stays there until you ask for more iterations"
    if a == "more" and snap.status in ("running", "queued") and snap.total_iterations >= sent["iteration"]:
        return f"target now {snap.total_iterations} iterations"
    if sent.get("version") is not None and a != "more":
        used = [p["iteration"] for p in job.timeline() if p["config_version"] >= sent["version"]]
        if used:
            return f"first used by iteration {min(used)}"
    return None


def _received(job_id: str) -> None:
    """Right after a click (same fragment rerun): what the job received, and when."""
    sent = st.session_state.get(K("sent"))
    if not sent or sent.get("job") != job_id:
        return
    if "error" in sent:
        st.error(sent["error"], icon=":material/error:")
        return
    what = {"pause": "Pause", "resume": "Resume", "stop": "Stop", "more": f"{sent['args'][0] if sent['args'] else ''} more",
            "rollback": f"Roll back to {sent['args'][0] if sent['args'] else ''}",
            "update_config": "New settings"}.get(sent["action"], sent["action"])
    st.caption(f"✓ {what} received at iteration {sent['iteration']} — takes effect before the next pass.")


def _effect_line(job) -> None:
    """In the polling fragment: what the job has done about the last control, and how fast."""
    sent = st.session_state.get(K("sent"))
    if not sent or sent.get("job") != job.job_id or "error" in sent:
        return
    effect = _effect(job, sent)
    if effect and sent["done_at"] is None:
        sent["done_at"] = time.monotonic() - sent["at"]
    if effect:
        st.caption(f"Last control → {effect} ({sent['done_at']:.1f} s after it was received).")


def _notify_owner(me: str) -> None:
    """Tell the owner about anything another session did to their jobs (once each)."""
    since = st.session_state.setdefault(K("seen"), time.time())
    events = resources.job_registry().events_for_owner(me, since)
    for e in events:
        st.toast(f"Another session {e.detail} your job “{e.job_id}” (at iteration {e.iteration}).",
                 icon=":material/group:")
    if events:
        st.session_state[K("seen")] = events[-1].at


def _buttons(job, snap, mine: bool) -> None:
    """The controls in one horizontal row that wraps: every control keeps its content width (in
    fixed columns at 1280 px they were cut to "P…", "Res…", "Roll …")."""
    jid = job.job_id
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    row.button("Pause", key=K("pause"), icon=":material/pause:", disabled=snap.done, on_click=_send,
               args=(jid, "pause"), help="Stops before the next pass starts (the pass in progress finishes).")
    row.button("Resume", key=K("resume"), icon=":material/play_arrow:", disabled=snap.done, on_click=_send,
               args=(jid, "resume"), help="Continue a paused job.")
    row.button("Stop", key=K("stop"), icon=":material/stop:", disabled=snap.done, on_click=_send, args=(jid, "stop"),
               help="Ends the job before its next pass and saves the run.")
    k = int(row.number_input("k", 1, 10_000, 10, key=K("more_k"), label_visibility="collapsed", width=110))
    row.button(f"{k} more iterations", key=K("more"), icon=":material/add:", on_click=_send, args=(jid, "more", k))
    if snap.checkpoints:
        it = row.selectbox("checkpoint", list(snap.checkpoints)[::-1], key=K("rb_it"), label_visibility="collapsed",
                           format_func=lambda i: f"iteration {i}", width=150)
        row.button("Roll back", key=K("rollback"), icon=":material/undo:", on_click=_send,
                   args=(jid, "rollback", int(it)),
                   help="Go back to that checkpoint and stay there until you ask for more iterations.")
    reg = resources.job_registry()
    if mine:
        shared = row.toggle("Shared", value=reg.is_shared(jid), key=K(f"share_{jid}"), width="content",
                            help="Let other sessions control this job too (you are told of what they do).")
        if shared != reg.is_shared(jid):
            reg.share(jid, resources.session_owner(), shared)


def controls(job_id: str) -> None:
    """The control strip of job ``job_id``: a fragment that reruns only when clicked (it does not
    poll, so a click never waits behind it); the charts fragment shows the effect."""

    @st.fragment
    @resources.timed("controls")
    def _controls():
        job = resources.job(job_id)
        if job is None:
            st.warning("This job is no longer known to the server (it may have ended before a restart).")
            return
        me = resources.session_owner()
        snap = job.snapshot()
        reg = resources.job_registry()
        if not reg.can_control(job_id, me):
            owners = ", ".join(identity.describe(o, me) for o in sorted(snap.owners)) or "another session"
            st.info(f"Read-only: this job belongs to {owners}. You see its progress, charts and scores; only its "
                    "owner can control it, unless they share it.", icon=":material/visibility:")
            return
        _buttons(job, snap, me in snap.owners)
        _received(job_id)

    _controls()


# ---------------------------------------------------------------- charts


def _status(snap) -> None:
    if snap.status == "queued":
        eta = resources.job_registry().queue_eta(snap.job_id)
        st.info(f"Queued: position {snap.queue_position or '…'} — starts in about {eta_text(eta)} "
                f"(when a running job frees its slot).", icon=":material/hourglass_top:")
    elif snap.status == "failed":
        st.error(f"Training failed: {snap.error}")
    text = (f"{snap.status} · iteration {snap.iteration} / {snap.total_iterations} · "
            f"{(snap.seconds_per_iteration or 0):.2f} s per iteration · ETA {eta_text(snap.eta_seconds)}")
    st.progress(snap.progress, text=text if not snap.done else f"{snap.status} · {snap.iteration} iterations")
    if snap.status == "running" and snap.iteration == 0 and not resources.background().kernels_ready.is_set():
        st.caption("First start of this installation: the numeric kernels are being compiled (once; up to a few "
                   "minutes on a busy machine). The first pass starts right after.")
    if snap.branches:
        st.caption("Roll-backs (reached → went back to): "
                   + ", ".join(f"{b.abandoned_at} → {b.from_iteration}" for b in snap.branches))


def _score_options(job) -> list[str]:
    """The scores the chart offers: the defaults, the optional ones and each modality's perplexity —
    without those a job on a corpus stored as batches never computes (they read every document)."""
    mods = [m.lstrip("@") for m in getattr(job.corpus, "modalities", [])[1:]]
    names = list(figures.training.DEFAULT_SCORES) + list(EXTRA_SCORES) + [f"perplexity@{m}" for m in mods]
    if getattr(job.corpus, "is_batched", False):
        names = [n for n in names if not _in_memory_only(n)]
    return names


def _in_memory_only(name: str) -> bool:
    kind = engine.SCORE_NAMES.get(name)
    return kind is not None and bool(engine.SCORES[kind].IN_MEMORY_ONLY)


def _budgeted(name: str, sig: tuple, iteration: int, build):
    """``build()``, or its last result while ``sig`` is unchanged and either the iteration is the
    same or less than (its last build time / ``CHART_SHARE``) seconds have passed: the costly
    parts of a poll take at most that share of the session's script thread."""
    memo = st.session_state.setdefault(K(f"memo_{name}"), {})
    now = time.monotonic()
    if memo.get("sig") == sig and (memo["iteration"] == iteration or now - memo["at"] < memo["cost"] / CHART_SHARE):
        return memo["value"]
    value = build()
    memo.update(sig=sig, iteration=iteration, at=now, cost=time.monotonic() - now, value=value)
    return value


def _score_figure(snap, names: list[str]):
    """The score curves of ``snap`` (rebuilt within the poll's budget, see :func:`_budgeted`)."""
    def build():
        scores, tau = history(snap, st.session_state.setdefault(K("history"), {}))
        return figures.score_curves(scores, tau, current=snap.iteration or None, total=snap.total_iterations,
                                    names=names or None, label=glossary.score)
    return _budgeted("scores", (snap.job_id, tuple(names), glossary.presenting(), snap.status), snap.iteration, build)


def _chart_panels(job, snap) -> None:
    """The score curves with τ and the top words of every topic."""
    left, right = st.columns([3, 2])
    options = _score_options(job)
    chosen = st.session_state.get(K("score_names"))
    if chosen is not None and not set(chosen) <= set(options):  # kept from a job that had other scores
        st.session_state[K("score_names")] = [n for n in chosen if n in options]
    names = left.multiselect("Scores to plot", options, default=[n for n in figures.training.DEFAULT_SCORES[:4] if n in options],
                             key=K("score_names"), format_func=glossary.score,
                             help="Scores not computed (yet) are skipped; some run every few iterations.")
    left.plotly_chart(_score_figure(snap, names), key=K("scores"))
    left.caption("Solid: scores. Dotted, right axis: the τ (regularization strength) each regularizer got at "
                 f"each iteration, scaled to its largest |τ| (hover for the value). Dashed: the latest iteration"
                 f"{'' if snap.done else f' (charts redrawn every {CHART_SECONDS:g} s)'}.")
    with right:
        st.markdown("**Top words now**")
        # top words of every topic: one partial sort per topic over the vocabulary (seconds for
        # 60 topics × 100k words on a loaded machine), so within the poll's budget too
        table = _budgeted("top", (snap.job_id, snap.status), snap.iteration, lambda: top_tokens_table(snap))
        if table.empty:
            st.caption("Shown after the first iteration.")
        else:
            with st.container(height=520, key=K("top_words")):
                st.markdown(top_words_html(table), unsafe_allow_html=True)


def _job_and_snapshot(job_id: str):
    """(the job, its snapshot now), or (None, None) when the server no longer knows it."""
    job = resources.job(job_id)
    return (job, job.snapshot()) if job is not None else (None, None)


def charts(job_id: str, done0: bool) -> None:
    """Progress and the live charts of job ``job_id``: two fragments polling while it lives — the
    progress line every ``POLL_SECONDS`` (cheap), the score chart and the top words every
    ``CHART_SECONDS`` (a redrawn Plotly figure costs the browser's main thread 0.3–1 s under load,
    even an unchanged one: at every 1.5 s it kept the page busy ~40 % of the time, and a click
    waits for the browser too)."""

    @st.fragment(run_every=None if done0 else POLL_SECONDS)
    @resources.timed("status")
    def _progress():
        job, snap = _job_and_snapshot(job_id)
        if job is None:
            return
        if snap.done != done0:  # ended, or brought back by "more"/"roll back": refresh the page once
            st.rerun(scope="app")
        _notify_owner(resources.session_owner())
        _status(snap)
        _effect_line(job)
        if snap.notice:
            st.caption(snap.notice)

    @st.fragment(run_every=None if done0 else CHART_SECONDS)
    @resources.timed("charts")
    def _charts():
        job, snap = _job_and_snapshot(job_id)
        if job is not None:
            _chart_panels(job, snap)

    _progress()
    _charts()
