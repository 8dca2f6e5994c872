"""The browser side of a team-mode session: a cookie holding the session token.

Streamlit has no API to set a cookie, so a tiny component sets or clears it from the page
(``SameSite=Strict``, ``Secure`` over HTTPS, ``Max-Age`` the absolute session timeout). The
server reads it back from the connection's request (``st.context.cookies``) when a reload
or a new tab opens a new Streamlit session. The cookie is readable by the page's scripts
(a script can set no ``HttpOnly`` cookie); every text the app shows is escaped, and the
token is worth nothing once the session ends, expires or is ended everywhere.
"""

from __future__ import annotations

import streamlit as st

NAME = "curate_session"

_JS = r"""
export default function(component) {
  const { data } = component;
  if (!data || !data.name) return;
  const secure = location.protocol === "https:" ? "; Secure" : "";
  const value = data.token ? encodeURIComponent(data.token) : "";
  const age = data.token ? Math.max(1, Math.floor(data.max_age)) : 0;
  const cookie = `${data.name}=${value}; Path=/; Max-Age=${age}; SameSite=Strict${secure}`;
  if (window.__cwCookie !== cookie) {
    document.cookie = cookie;
    window.__cwCookie = cookie;
  }
}
"""

_component = st.components.v2.component("cw_session_cookie", js=_JS)


def keep(token: str | None, max_age: float) -> None:
    """Make the browser hold ``token`` for ``max_age`` seconds (None: forget any)."""
    _component(
        key="cw_session_cookie",
        data={"name": NAME, "token": token or "", "max_age": max_age},
        width="stretch",
        height="content",
    )
