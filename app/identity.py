"""Who is using this browser session: the owner string of the jobs it starts.

- With authentication configured (an ``[auth]`` section in ``.streamlit/secrets.toml``, see the
  README), a signed-in user is ``user:<email>`` — the same person in every tab and browser.
- Otherwise each browser session gets a random 128-bit token, kept in the URL (``?sid=``) so a
  refresh keeps the user's jobs; another browser (or a colleague) has another token and sees
  the jobs read-only unless their owner shares them.
"""
from __future__ import annotations

import re
import uuid

import streamlit as st

KEY = "_owner_id"
PARAM = "sid"
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def auth_configured() -> bool:
    """True when ``st.login`` can work (an ``[auth]`` section in the secrets)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, OSError):  # no secrets file at all
        return False


def signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except (AttributeError, KeyError):
        return False


def current() -> str:
    """The owner id of this session (stable across reruns and refreshes of the tab)."""
    if signed_in():
        return f"user:{st.user.get('email') or st.user.get('sub')}"
    if KEY not in st.session_state:
        sid = st.query_params.get(PARAM, "")
        st.session_state[KEY] = sid if _TOKEN.match(sid or "") else uuid.uuid4().hex
    if st.query_params.get(PARAM) != st.session_state[KEY]:
        st.query_params[PARAM] = st.session_state[KEY]
    return st.session_state[KEY]


def describe(owner: str, me: str) -> str:
    """How to show an owner to ``me``: "you", an e-mail, or "another session"."""
    if owner == me:
        return "you"
    return owner[5:] if owner.startswith("user:") else "another session"


def gate() -> None:
    """With authentication configured, stop the page until the user signs in."""
    if not auth_configured() or signed_in():
        return
    st.title("ARTM Studio")
    st.write("This server asks you to sign in, so that your training jobs stay yours.")
    st.button("Sign in", type="primary", on_click=st.login)
    st.stop()
