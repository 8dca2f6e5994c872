"""Review keys: one document-level key handler that never fires while a text field has focus
and queues keys pressed during a rerun instead of losing them.

Streamlit's own button shortcuts listen per button: while a rerun redraws a button its
shortcut is briefly gone (keys were lost), and a redraw that moves a text field takes its
focus away, so the next letters typed became decisions. Here one listener lives on the
document for the whole browser session. A key is ignored while the focus (or the event's
path) is in an input, a text area, a select or editable content, or with Ctrl, Alt or Cmd;
and while the reviewer was typing into a field that a rerun has just redrawn away (the key
goes back into the same widget when the page drew it again).
Otherwise it is queued, and the queue sends one key at a time, only while no script run is
in flight; each key is then checked against the keys of the page as it is now drawn. ``?``
shows every key of the page in an overlay (no rerun); Esc closes it, or leaves a text field
so the keys work again.

Python side: ``bind(page, bindings)`` draws the (invisible) component and remembers what
each key does for the item on screen; the key's callback runs before the next rerun, as a
button's ``on_click`` would.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

_JS = r"""
export default function(component) {
  const { data, setTriggerValue } = component;
  const K = window.__cwKeys || (window.__cwKeys = {queue: [], busy: false, keys: {}, help: [], send: null,
                                                   seq: 0, sentAt: 0, sawRun: false});
  const page = !data.install;  // the app-wide instance only installs the listener
  const me = {};  // this drawing owns the keys until another one takes them over
  if (page) {
    K.owner = me;
    K.keys = data.keys || {};
    K.help = data.help || [];
    K.send = (key) => setTriggerValue("key", {key: key, seq: ++K.seq});
  }
  const scriptState = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app ? app.getAttribute("data-test-script-state") : "";
  };
  const running = () => ["running", "rerunRequested"].includes(scriptState());
  // just after a run ends the page's key component may still be mounting: give it a moment
  const settling = () => running() || Date.now() - (K.idleSince || 0) < 1500;
  K.pump = () => {
    if (K.busy) {  // the key sent last has not been answered by a finished run yet
      if (running()) K.sawRun = true;
      if ((K.sawRun && !running()) || Date.now() - K.sentAt > 8000) K.busy = false;
    }
    if (!settling() && !K.send) K.queue = [];  // the page drawn has no keys
    while (!K.busy && !running() && K.queue.length && K.send) {
      const key = K.queue.shift();
      if (K.keys[key] === undefined) continue;  // not a key of the page as it is drawn now
      K.busy = true; K.sawRun = false; K.sentAt = Date.now();
      K.send(key);
    }
    clearTimeout(K.timer);
    if (K.queue.length || K.busy) K.timer = setTimeout(K.pump, 40);
  };
  K.watch = () => {  // remember when the last run ended (the app root says so in an attribute)
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || K.watching === app) return;
    K.watching = app;
    new MutationObserver(() => { if (!running()) { K.idleSince = Date.now(); K.pump(); } })
      .observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
  };
  K.overlay = (show) => {
    let el = document.getElementById("cw-keys-help");
    if (!show) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement("div");
      el.id = "cw-keys-help";
      el.setAttribute("role", "dialog");
      el.setAttribute("aria-label", "Keyboard shortcuts");
      el.style.cssText = "position:fixed;inset:0;z-index:1000000;display:flex;align-items:center;" +
        "justify-content:center;background:rgba(0,0,0,.45)";
      el.addEventListener("click", () => K.overlay(false));
      document.body.appendChild(el);
    }
    el.replaceChildren();
    const box = document.createElement("div");
    box.style.cssText = "background:var(--st-background-color,#fff);color:var(--st-text-color,#111);" +
      "border-radius:10px;padding:1.2rem 1.6rem;min-width:22rem;max-width:40rem;font:14px/1.5 sans-serif;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.3)";
    const title = document.createElement("div");
    title.textContent = "Keys on this page";
    title.style.cssText = "font-weight:700;font-size:1.05rem;margin-bottom:.5rem";
    box.appendChild(title);
    const table = document.createElement("table");
    for (const [key, label] of K.help) {  // textContent only: labels quote row numbers and names
      const tr = document.createElement("tr");
      const k = document.createElement("td");
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      kbd.style.cssText = "display:inline-block;min-width:1.4rem;text-align:center;border:1px solid #999;" +
        "border-radius:4px;padding:0 .3rem;margin-right:.8rem;font-family:monospace";
      k.appendChild(kbd);
      const v = document.createElement("td");
      v.textContent = label;
      tr.append(k, v);
      table.appendChild(tr);
    }
    box.appendChild(table);
    const foot = document.createElement("div");
    foot.textContent = "Keys do nothing while a text field has focus (Esc leaves the field). " +
      "Keys pressed while the page updates are applied in order once it has.";
    foot.style.cssText = "opacity:.7;font-size:.8rem;margin-top:.6rem";
    box.appendChild(foot);
    el.appendChild(box);
  };
  if (!K.installed) {
    K.installed = true;
    const TEXT_INPUTS = ["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"];
    const editable = (el) => el && el.tagName && (el.isContentEditable || el.tagName === "TEXTAREA" ||
      el.tagName === "SELECT" || (el.tagName === "INPUT" && !TEXT_INPUTS.includes((el.type || "").toLowerCase())));
    const typing = (e) => {
      if (editable(document.activeElement)) return true;
      const path = e.composedPath ? e.composedPath() : [e.target];
      return path.some(editable);
    };
    const widgetKey = (el) => {
      const box = el.closest('[class*="st-key-"]');
      return box ? [...box.classList].find((c) => c.startsWith("st-key-")) : null;
    };
    document.addEventListener("focusin", (e) => {
      if (editable(e.target)) { K.field = e.target; K.fieldKey = widgetKey(e.target); }
    }, true);
    // the reviewer moved the focus on purpose: nothing to protect any more
    document.addEventListener("pointerdown", () => { K.field = null; }, true);
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        if (document.getElementById("cw-keys-help")) { K.overlay(false); e.stopPropagation(); return; }
        if (editable(document.activeElement)) { K.field = null; document.activeElement.blur(); }
        return;
      }
      if (e.key === "Tab") K.field = null;
      if (typing(e)) { K.typedAt = Date.now(); return; }
      if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || e.repeat) return;
      // The field the reviewer was typing in was redrawn away under them (a rerun that
      // replaced it): what they type next is still text, never a decision. Put the focus
      // back into the same widget when the page drew it again.
      if (K.field && !K.field.isConnected && Date.now() - (K.typedAt || 0) < 3000) {
        e.preventDefault();
        e.stopPropagation();
        K.typedAt = Date.now();
        const box = K.fieldKey && document.querySelector("." + CSS.escape(K.fieldKey));
        const again = box && box.querySelector("input, textarea");
        if (again && editable(again)) {
          again.focus();
          if (e.key.length === 1) document.execCommand("insertText", false, e.key);
        }
        return;
      }
      if (!K.send && !settling()) return;  // no page with keys is shown or on its way
      if (e.key === "?") { e.preventDefault(); K.overlay(!document.getElementById("cw-keys-help")); return; }
      const key = (e.key || "").toLowerCase();
      if (key.length !== 1 || !/[a-z0-9]/.test(key)) return;
      if (K.send && !running() && K.keys[key] === undefined) return;  // not a key of this page
      e.preventDefault();
      e.stopPropagation();
      K.overlay(false);
      K.queue.push(key);
      K.pump();
    }, true);
  }
  K.watch();
  if (!page) return undefined;
  if (document.getElementById("cw-keys-help")) K.overlay(true);
  K.pump();
  return () => {  // the page's element went away; a newer page may already have taken over
    if (K.owner !== me) return;
    K.keys = {}; K.help = []; K.send = null; K.overlay(false);
  };
}
"""

_component = st.components.v2.component("cw_review_keys", js=_JS)
_ACTIONS = "_review_key_actions"


@dataclass(frozen=True)
class Binding:
    """One key of a page: what it does (``label``) and the callback that does it."""

    key: str
    label: str
    callback: Callable[..., None]
    args: tuple = field(default=())


def hint(label: str, key: str) -> str:
    """A button label that shows its key."""
    return f"{label} · {key.upper()}"


def bind(page: str, bindings: Sequence[Binding]) -> None:
    """Make ``bindings`` the keys of ``page`` for the item on screen now. Draw it at the same
    place on every run of the page (it takes no space), so nothing after it moves."""
    comp_key = f"keys_{page}"
    st.session_state.setdefault(_ACTIONS, {})[comp_key] = {b.key.lower(): b for b in bindings}
    help_rows = [[b.key.upper(), b.label] for b in bindings] + [
        ["?", "show or hide this list"],
        ["Esc", "close it, or leave a text field"],
    ]
    _component(
        key=comp_key,
        data={"keys": {b.key.lower(): b.label for b in bindings}, "help": help_rows},
        width="stretch",
        height="content",
        on_key_change=functools.partial(_dispatch, comp_key),
    )


def install() -> None:
    """Install the listener from the app's first page on (drawn once per run, in the sidebar),
    so keys pressed while a review page is still loading are queued for it."""
    _component(key="keys_app", data={"install": True}, width="stretch", height="content")


def _dispatch(comp_key: str) -> None:
    """The key's callback, run before the rerun (like a button's ``on_click``)."""
    value = st.session_state.get(comp_key)
    sent = getattr(value, "key", None) if value is not None else None
    if sent is None and isinstance(value, dict):
        sent = value.get("key")
    name = sent.get("key") if isinstance(sent, dict) else sent
    binding = st.session_state.get(_ACTIONS, {}).get(comp_key, {}).get(str(name or "").lower())
    if binding is not None:
        binding.callback(*binding.args)
