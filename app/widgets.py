"""Small reusable UI pieces: the shared sidebar, guards that stop a page with a helpful
message, synced selectors and the regularizer card (see :mod:`app.regcard`)."""
from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd
import streamlit as st

import engine
from app import figures, glossary, resources, state


def synced_select(label: str, options: Sequence, state_key: str, widget_key: str,
                  format_func: Callable = str, container=st, help: str | None = None):
    """A selectbox that mirrors a global state key which pages may set at any time.

    The global key is not a widget key, so a page may assign it after the widget rendered
    (then ``st.rerun()``); the widget is re-synced before it renders on the next run.
    """
    options = list(options)
    if not options:
        st.session_state[state_key] = None
        return None
    cur = st.session_state.get(state_key)
    if cur not in options:
        cur = options[0]
        st.session_state[state_key] = cur
    st.session_state[widget_key] = cur

    def _changed():
        st.session_state[state_key] = st.session_state[widget_key]

    return container.selectbox(label, options, key=widget_key, format_func=format_func,
                               on_change=_changed, help=help)


def topic_count(m: dict) -> str:
    """``"40 topics + 1 background"`` from a run manifest (never the total as ``T=41``)."""
    cfg = m.get("config") or {}
    if "n_topics" in cfg:
        return engine.analysis.topic_count_text(int(cfg["n_topics"]), int(cfg.get("n_background", 0)))
    return f"{m.get('n_topics', '?')} topics"


def run_label(m: dict) -> str:
    """One line naming a run: name, topics, iterations, status."""
    status = m.get("status", "")
    mark = "" if status == "finished" else f" · {status}"
    return f"{m.get('name') or m['run_id']} · {topic_count(m)} · {m.get('iteration', 0)} it{mark}"


@st.fragment(run_every=1.0)
def _sample_pending() -> None:
    """While the sample corpus is imported in the background: say so; once ready, rerun once."""
    if resources.background().sample_ready.is_set():
        st.rerun(scope="app")
    st.caption("Importing the bundled sample corpus…")


def sidebar() -> None:
    """Corpus and run pickers shared by every page."""
    with st.sidebar:
        bg = resources.background()
        if not bg.sample_ready.is_set():
            _sample_pending()
        elif bg.error:
            st.warning(bg.error)
        corpora = [m["name"] for m in resources.corpora()]
        synced_select("Corpus", corpora, state.CORPUS, "sidebar_corpus",
                      help="Corpora in the workspace; import new ones on the Data page.")
        name = state.corpus()
        if name:
            runs = resources.runs(name)
            by_id = {m["run_id"]: m for m in runs}
            if runs and state.run_id() not in by_id:
                state.set(state.RUN, runs[0]["run_id"])
            synced_select("Run", list(by_id), state.RUN, "sidebar_run",
                          format_func=lambda rid: run_label(by_id[rid]) if rid in by_id else rid,
                          help="Saved runs of this corpus; Topics, Documents and Trends show this one.")
            if not runs:
                st.caption("No saved run for this corpus yet.")
        if not glossary.presenting():
            st.caption(f"Workspace: `{resources.root()}`")
        glossary.toggle()


def default_corpus() -> str | None:
    """The selected corpus; on a first visit straight to a page (a link, a bookmark) the sidebar
    has not chosen one yet — it is drawn after the page — so its default is chosen here."""
    name = state.corpus()
    if not name:
        names = [m["name"] for m in resources.corpora()]
        if names:
            name = names[0]  # the sidebar's default (synced_select: the first option)
            state.set(state.CORPUS, name)
    return name


def require_corpus(batched: bool = False):
    """The selected corpus, or stop the page saying why (the sample still importing, or no corpus,
    with a pointer to the Data page). ``batched``: a corpus stored as batches is returned as such
    (pages that need no document's tokens: training, topics, trends); other pages refuse it with
    the engine's message."""
    name = default_corpus()
    if not name:
        if not resources.background().sample_ready.is_set():
            st.info("Importing the bundled sample corpus (first start only); this page fills in when it is ready.")
            _sample_pending()  # reruns the app once the sample is in (the sidebar is not drawn after st.stop)
        else:
            st.info("No corpus yet. Import one on the **Data** page.")
            st.page_link("app_pages/data.py", label="Go to Data", icon=":material/database:")
        st.stop()
    try:
        return resources.training_corpus(name) if batched else resources.corpus(name)
    except engine.EngineError as e:  # e.g. a corpus stored as batches on a page that needs every token
        error_box(e)
        st.stop()


def require_run():
    """The selected run, or stop the page offering to train a demo model."""
    rid = state.run_id()
    name = default_corpus()
    if not rid and name:  # first visit straight to this page: the sidebar's default run
        runs = resources.runs(name)
        if runs:
            rid = runs[0]["run_id"]
            state.set(state.RUN, rid)
    if rid:
        try:
            return resources.run(rid)
        except Exception as e:  # noqa: BLE001 - a run deleted from another tab
            st.warning(f"Run {rid!r} cannot be loaded: {e}")
    st.info("No trained model for this corpus yet.")
    demo_button()
    st.stop()


def demo_button(key: str = "demo") -> None:
    """One click: start a small "interpretable ARTM" run on the selected corpus."""
    name = state.corpus()
    if not name:
        return
    c1, c2 = st.columns([1, 3])
    if c1.button("Train a demo model", key=f"{key}_train_demo", type="primary", icon=":material/play_arrow:"):
        try:
            job_id = resources.start_demo_job(name)
        except Exception as e:  # noqa: BLE001 - shown to the user, not a crash
            st.error(f"Could not start training: {e}")
            return
        state.set(state.JOB, job_id)
        st.switch_page("app_pages/live.py")
    c2.caption("12 topics + 1 background topic, 20 iterations with the “interpretable ARTM” preset; "
               "or set up your own on **Model & training**.")


def error_box(e: Exception, hide_prefix: str | None = None) -> None:
    """Show an engine error as one line (no traceback: the message names the problem).

    ``hide_prefix`` (e.g. the server-side folder an upload was saved to) is cut from the message,
    so the user reads the name of the file they dropped, not a temporary path.
    """
    text = str(e) or type(e).__name__
    if hide_prefix:
        text = text.replace(hide_prefix.rstrip("/") + "/", "")
    st.error(text, icon=":material/error:")


def download_name(*parts: str) -> str:
    return "-".join(p for p in parts if p).replace("/", "_").replace(" ", "_")


# ---------------------------------------------------------------- regularizer card

TRAJECTORY_KINDS = ("constant", "linear", "exponential", "step", "piecewise")
GROUPS = ("all", "subject", "background")


def parse_pairs(text: str, numeric: bool = True) -> dict | None:
    """``"name: value"`` lines → dict (values float, or lists of words when not numeric).

    Never evaluates anything; a bad line raises ValueError naming it.
    """
    out: dict = {}
    for i, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            raise ValueError(f"line {i}: expected “name: {'number' if numeric else 'words'}”, got {line!r}")
        k, v = (x.strip() for x in line.split(":", 1))
        if numeric:
            try:
                out[k] = float(v)
            except ValueError:
                raise ValueError(f"line {i}: {v!r} is not a number") from None
        else:
            out[k] = [w for w in v.replace(",", " ").split() if w]
    return out or None


def format_pairs(d: dict | None) -> str:
    if not d:
        return ""
    return "\n".join(f"{k}: {' '.join(v) if isinstance(v, (list, tuple)) else v}" for k, v in d.items())


def tau_editor(tau: dict, n_iter: int, key: str, container=st) -> dict:
    """Edit a τ trajectory (``Trajectory.to_dict()`` form); returns the edited dict."""
    kind0 = tau.get("kind", "constant")
    kind = container.selectbox("τ trajectory", TRAJECTORY_KINDS, index=TRAJECTORY_KINDS.index(kind0),
                               key=f"{key}_kind", help="How τ (regularization strength) changes over iterations")
    same = kind == kind0
    g = lambda f, d: float(tau.get(f, d)) if same and tau.get(f) is not None else d  # noqa: E731
    cols = container.columns(4)
    if kind == "constant":
        return {"kind": kind, "value": cols[0].number_input("τ", value=g("value", 0.0), format="%g", key=f"{key}_value",
                                                            help=glossary.tip("τ"))}
    if kind in ("linear", "exponential"):
        a0, b0 = (0.0, -0.1) if kind == "linear" else (-0.01, -1.0)
        return {"kind": kind,
                "a": cols[0].number_input("τ from", value=g("a", a0), format="%g", key=f"{key}_a", help=glossary.tip("τ")),
                "b": cols[1].number_input("τ to", value=g("b", b0), format="%g", key=f"{key}_b"),
                "start": int(cols[2].number_input("from iteration", 1, 100_000, int(g("start", 1)), key=f"{key}_start")),
                "end": int(cols[3].number_input("to iteration", 1, 100_000, int(g("end", max(2, n_iter // 2))),
                                                key=f"{key}_end"))}
    if kind == "step":
        off = cols[2].number_input("off at (0 = never)", 0, 100_000, int(tau.get("off") or 0) if same else 0,
                                   key=f"{key}_off")
        return {"kind": kind, "value": cols[0].number_input("τ", value=g("value", -0.1), format="%g", key=f"{key}_value",
                                                            help=glossary.tip("τ")),
                "on": int(cols[1].number_input("on at", 1, 100_000, int(g("on", 1)), key=f"{key}_on")),
                "off": int(off) or None}
    pts = tau.get("points") if same and tau.get("points") else [[1, 0.0], [max(2, n_iter // 2), -0.1], [n_iter, -0.1]]
    table = container.data_editor(pd.DataFrame(pts, columns=["iteration", "tau"]), num_rows="dynamic",
                                  key=f"{key}_points", hide_index=True)
    table = table.dropna().sort_values("iteration")
    return {"kind": kind, "points": [[float(i), float(t)] for i, t in zip(table["iteration"], table["tau"])]}


def _param_input(p: dict, value, key: str, ctx: dict, container=st):
    t, name, help_ = p["type"], p["name"], p.get("help")
    if t == "float":
        return container.number_input(name, value=float(value if value is not None else p["default"] or 0.0),
                                      format="%g", key=key, help=help_)
    if t == "int":
        return int(container.number_input(name, value=int(value if value is not None else p["default"] or 0),
                                          step=1, key=key, help=help_))
    if t == "bool":
        return container.checkbox(name, value=bool(value), key=key, help=help_)
    if t == "topics":
        opts = list(GROUPS) + ["chosen topics"]
        cur = value if isinstance(value, str) and value in GROUPS else ("chosen topics" if value else p["default"])
        mode = container.selectbox(name, opts, index=opts.index(cur), key=key, help=help_)
        if mode != "chosen topics":
            return mode
        chosen = [v for v in (value if isinstance(value, (list, tuple)) else []) if v in ctx["topics"]]
        return container.multiselect(f"{name}: which", ctx["topics"], default=chosen, key=f"{key}_list") or "all"
    if t == "modalities":
        chosen = [m for m in (value or []) if m in ctx["modalities"]]
        return container.multiselect(f"{name} (empty = all)", ctx["modalities"], default=chosen, key=key, help=help_) or None
    if t == "modality":
        opts = list(dict.fromkeys(ctx["modalities"] + [value or p["default"]]))
        return container.selectbox(name, opts, index=opts.index(value or p["default"]), key=key, help=help_)
    if t in ("weights", "lexicon"):
        hint = "token: weight" if t == "weights" else "topic_0: word word word"
        text = container.text_area(f"{name} (one “{hint}” per line)", format_pairs(value), key=key, help=help_, height=90)
        return parse_pairs(text, numeric=t == "weights")
    if p.get("choices"):
        return container.selectbox(name, p["choices"], index=list(p["choices"]).index(value or p["default"]), key=key)
    return container.text_input(name, value or p["default"] or "", key=key, help=help_)


ADVANCED = ("modalities", "token_weights", "topic_weights", "default_token_weight", "max_tokens")
PRIMARY = ()  # (kind, param) pairs to keep in view even if listed in ADVANCED


def _params(params: list, reg: dict, out: dict, key: str, ctx: dict) -> None:
    for p in params:
        try:
            out[p["name"]] = _param_input(p, reg.get(p["name"], p["default"]), f"{key}_{p['name']}", ctx)
        except ValueError as e:
            st.error(f"{p['name']}: {e}")
            out[p["name"]] = reg.get(p["name"])


def regularizer_card(reg: dict, n_iter: int, key: str, ctx: dict, applied: dict | None = None,
                     later: list | None = None, in_form: bool = False) -> tuple[dict, bool]:
    """One regularizer as a bordered card: enable toggle, parameters, τ trajectory and its chart.

    Parameters
    ----------
    reg : ``Regularizer.to_dict()``
    n_iter : iterations planned (x range of the τ chart)
    key : unique widget-key prefix
    ctx : {"topics": [names], "modalities": [names]}
    applied : optional {iteration: τ} actually applied so far (drawn on the chart)
    later : optional list; when given, the τ chart is not drawn now but a function drawing it
        into its place is appended (the live form acts on "Apply" first, then draws)
    in_form : the card sits in an ``st.form``: "Remove" is a checkbox (acted on at submit)

    Returns
    -------
    (edited dict, remove clicked)
    """
    schema = engine.regularizer_schema()[reg["kind"]]
    out = {"kind": reg["kind"], "name": reg["name"]}
    with st.container(border=True):
        h1, h2, h3 = st.columns([3, 1, 1])
        h1.markdown(f"**{reg['name']}** · `{reg['kind']}` · acts on {schema['target']}", help=glossary.tip(reg["kind"]))
        out["enabled"] = h2.toggle("enabled", value=bool(reg.get("enabled", True)), key=f"{key}_enabled")
        remove = (h3.checkbox("remove", key=f"{key}_remove", help="Removed when you click a button below.") if in_form
                  else h3.button("Remove", key=f"{key}_remove", icon=":material/close:"))
        left, right = st.columns([1, 1])
        main = [p for p in schema["params"] if p["name"] not in ADVANCED or (reg["kind"], p["name"]) in PRIMARY]
        extra = [p for p in schema["params"] if p not in main]
        with left:
            _params(main, reg, out, key, ctx)
            if extra:
                with st.expander("More parameters"):
                    _params(extra, reg, out, key, ctx)
        with right:
            out["tau"] = tau_editor(reg.get("tau") or {"kind": "constant", "value": schema["default_tau"]}, n_iter,
                                    f"{key}_tau")
            slot = st.empty()
    draw = lambda: _tau_chart(slot, out["tau"], n_iter, applied, f"{key}_chart")  # noqa: E731
    if later is None:
        draw()
    else:
        later.append(draw)
    return out, remove


def _tau_chart(slot, tau: dict, n_iter: int, applied: dict | None, key: str, max_points: int = 300) -> None:
    """The card's chart: the planned τ (a few hundred iterations of it, however long the run)
    and, live, the τ applied so far (at most ``max_points`` markers, evenly spaced)."""
    try:
        traj = engine.trajectory_from_dict(tau)
        breaks = [tau.get(f) for f in ("on", "off", "start", "end")] + [p[0] for p in tau.get("points") or []]
        its = figures.training.plan_iterations(n_iter, [float(b) for b in breaks if b is not None], max_points)
        fig = figures.tau_trajectories({"planned τ": [traj(int(i)) for i in its]}, height=180, x=its)
        if applied:
            done = sorted(applied)
            done = done[::max(1, -(-len(done) // max_points))] + done[-1:]
            fig.add_scatter(x=done, y=[applied[i] for i in done], mode="markers", name="applied",
                            marker=dict(size=6, color="#e8590c"))
        slot.plotly_chart(fig, key=key)
    except Exception as e:  # noqa: BLE001 - ConfigError from a half-typed trajectory
        slot.error(str(e))
