// unspin's web page: one call to /api/v1/check, then every decision is made here.
// Span offsets from the server count Unicode code points; JavaScript strings count
// UTF-16 units, so the text is handled as an array of code points throughout.
"use strict";

const $ = (id) => document.getElementById(id);
const MAX_BYTES = 1000000; // the server's default body limit; checked here for a kinder message

const state = {
  points: [],     // the checked text, as code points
  spans: [],      // spans from the server, in text order
  choice: [],     // per span: the chosen replacement, or null (pending) / "" never used
  status: [],     // per span: "pending" | "accepted" | "rejected"
  active: -1,     // span whose card is open
  restored: false, // spans come from a full restoration (not only where judged spun)
};

function slice(a, b) { return state.points.slice(a, b).join(""); }

function confidenceClass(c) { return c >= 0.8 ? "conf-high" : c >= 0.5 ? "conf-mid" : "conf-low"; }

function pct(p) { return (100 * p).toFixed(p < 0.1 ? 1 : 0) + "%"; }

// ------------------------------------------------------------------ checking

async function check(event) {
  if (event) event.preventDefault();
  const text = $("input").value;
  hideError();
  if (!text.trim()) { showError("Paste some text first."); return; }
  const body = JSON.stringify({ text });
  if (new TextEncoder().encode(body).length > MAX_BYTES) {
    showError("That text is over 1 MB; split it, or use the command line (unspin check FILE).");
    return;
  }
  $("busy").hidden = false;
  $("check").disabled = true;
  try {
    const res = await post("/api/v1/check", body);
    show(text, res);
  } catch (e) {
    showError(e.message);
  } finally {
    $("busy").hidden = true;
    $("check").disabled = false;
  }
}

async function post(url, body, tries = 30) {
  let res;
  try {
    res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  } catch (e) {
    throw new Error("The server could not be reached: " + e.message);
  }
  if (res.status === 503 && tries > 0) {  // models still loading
    $("busy").textContent = "Loading models…";
    await new Promise((r) => setTimeout(r, 1000));
    return post(url, body, tries - 1);
  }
  $("busy").textContent = "Checking…";
  const data = await res.json().catch(() => ({}));
  if (res.status === 413) throw new Error("That text is too large for this server. " + (data.detail || ""));
  if (!res.ok) throw new Error(`The server answered ${res.status}: ${data.detail || res.statusText}`);
  return data;
}

function show(text, res) {
  state.points = Array.from(text);
  state.spans = res.spans;
  state.choice = res.spans.map((s) => s.suggestion);
  state.status = res.spans.map(() => "pending");
  state.restored = res.verdict === "spun" || res.spans.length > 0;
  closeCard();
  const v = $("verdict");
  v.className = "verdict " + (res.verdict === "spun" ? "spun" : res.verdict === "not spun" ? "not-spun" : "");
  v.textContent = "";
  const strong = document.createElement("strong");
  strong.textContent = res.verdict === "spun" ? "Spun" : res.verdict === "not spun" ? "Not spun" : "Can't tell";
  v.append(strong);
  const detail = res.probability === null
    ? ` — ${res.verdict} (${res.words} words).`
    : ` — spin probability ${pct(res.probability)}${res.threshold == null ? "" : ` (spun from ${pct(res.threshold)})`}; ${pct(res.suspicious_share)} of ${res.words} words suspicious; ${res.spans.length} suggested restorations.`;
  v.append(detail);
  $("result").hidden = false;
  render();
}

// ------------------------------------------------------------------ rendering

function render() {
  renderAnnotated();
  renderDiffs();
  const restored = restoredText();
  $("restored").value = restored;
  const n = (s) => state.status.filter((x) => x === s).length;
  $("counts").textContent = `(${n("accepted")} accepted, ${n("rejected")} rejected, ${n("pending")} pending)`;
}

// Walk the text, calling gap(text) between spans and mark(i) for each span.
function walk(gap, mark) {
  let pos = 0;
  state.spans.forEach((s, i) => {
    if (s.start > pos) gap(slice(pos, s.start));
    mark(i, s);
    pos = s.end;
  });
  if (pos < state.points.length) gap(slice(pos));
}

function renderAnnotated() {
  const box = $("annotated");
  box.textContent = "";
  walk(
    (t) => box.append(t),
    (i, s) => {
      const b = document.createElement("button");
      b.type = "button";
      b.className = `span ${confidenceClass(s.confidence)} ${state.status[i]}`;
      b.dataset.i = i;
      b.textContent = state.status[i] === "accepted" ? state.choice[i] : s.observed;
      b.setAttribute("aria-label", `${b.textContent}: ${describe(i)}`);
      b.setAttribute("aria-haspopup", "true");
      box.append(b);
    },
  );
  if (!state.spans.length) {
    const p = document.createElement("p");
    p.className = "help";
    // check suggests restorations only where it judges the text spun; restore always does.
    p.textContent = state.restored ? "No suggested restorations." : "Judged not spun, so nothing is flagged. ";
    if (!state.restored) {
      const b = document.createElement("button");
      b.type = "button";
      b.id = "restore-anyway";
      b.textContent = "Suggest restorations anyway";
      b.addEventListener("click", restoreAnyway);
      p.append(b);
    }
    box.prepend(p);
  }
}

async function restoreAnyway() {
  const text = state.points.join("");
  try {
    const res = await post("/api/v1/restore", JSON.stringify({ text }));
    state.spans = res.spans;
    state.choice = res.spans.map((s) => s.suggestion);
    state.status = res.spans.map(() => "pending");
    state.restored = true;
    render();
  } catch (e) {
    showError(e.message);
  }
}

function describe(i) {
  const s = state.spans[i];
  const st = state.status[i];
  const what = st === "accepted" ? `accepted, was “${s.observed}”` : st === "rejected" ? "rejected" : "suggestion pending";
  return `likely original “${s.suggestion}”, ${pct(s.confidence)} confident; ${what}`;
}

function renderDiffs() {
  const inline = $("inline"), before = $("side-before"), after = $("side-after");
  for (const el of [inline, before, after]) el.textContent = "";
  const add = (el, tag, t) => { const e = document.createElement(tag); e.textContent = t; el.append(e); };
  walk(
    (t) => { inline.append(t); before.append(t); after.append(t); },
    (i, s) => {
      if (state.status[i] === "accepted") {
        add(inline, "del", s.observed); add(inline, "ins", state.choice[i]);
        add(before, "del", s.observed); add(after, "ins", state.choice[i]);
      } else {
        for (const el of [inline, before, after]) el.append(s.observed);
      }
    },
  );
}

function restoredText() {
  const parts = [];
  walk((t) => parts.push(t), (i, s) => parts.push(state.status[i] === "accepted" ? state.choice[i] : s.observed));
  return parts.join("");
}

// ------------------------------------------------------------------ decisions

function decide(i, status, choice) {
  state.status[i] = status;
  if (choice !== undefined) state.choice[i] = choice;
  const hadFocus = document.activeElement && document.activeElement.closest("#card, #annotated");
  render();
  if (hadFocus) spanButton(i).focus();
  if (state.active === i) openCard(i);
}

function decideAll(status) {
  state.status = state.status.map(() => status);
  closeCard();
  render();
}

function spanButton(i) { return $("annotated").querySelector(`button[data-i="${i}"]`); }

// ------------------------------------------------------------------ the card (hover / focus)

function openCard(i) {
  const s = state.spans[i];
  const card = $("card");
  card.textContent = "";
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text) e.textContent = text; return e; };
  const button = (label, fn, cls) => { const b = el("button", cls, label); b.type = "button"; b.addEventListener("click", fn); return b; };

  card.append(el("p", "original", `“${state.choice[i]}”`));
  card.append(el("p", null, `likely original of “${s.observed}” — ${pct(s.confidence)} confident`));
  if (s.alternatives.length) {
    card.append(el("p", "why", "Alternatives:"));
    const ul = el("ul");
    for (const a of [{ text: s.suggestion, probability: s.confidence }, ...s.alternatives]) {
      if (a.text === state.choice[i]) continue;
      const li = el("li");
      li.append(button(`${a.text} (${pct(a.probability)})`, () => decide(i, "accepted", a.text), "alt"));
      ul.append(li);
    }
    card.append(ul);
  }
  if (s.evidence) {
    const ev = s.evidence;
    const src = ev.sources.length ? ev.sources.join(", ") : "none";
    card.append(el("p", "why", `Why: the language model gains ${ev.lm_gain.toFixed(1)} nats; linked by ${src}.`));
  }
  const row = el("div", "buttons");
  row.append(button("Accept", () => decide(i, "accepted"), "primary accept"));
  row.append(button("Reject", () => decide(i, "rejected"), "reject"));
  if (state.status[i] !== "pending") row.append(button("Undo", () => decide(i, "pending", s.suggestion), "undo"));
  card.append(row);

  const anchor = spanButton(i);
  document.querySelectorAll(".span.active").forEach((e) => e.classList.remove("active"));
  anchor.classList.add("active");
  const r = anchor.getBoundingClientRect();
  card.hidden = false;
  const left = Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8);
  card.style.left = Math.max(8, left) + "px";
  card.style.top = r.bottom + window.scrollY + 4 + "px";
  state.active = i;
}

function closeCard() {
  $("card").hidden = true;
  document.querySelectorAll(".span.active").forEach((e) => e.classList.remove("active"));
  state.active = -1;
}

let hideTimer = null;
function scheduleClose() {
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => {
    const card = $("card");
    if (!card.matches(":hover") && !card.contains(document.activeElement)
        && !(document.activeElement && document.activeElement.classList.contains("span"))) closeCard();
  }, 250);
}

// ------------------------------------------------------------------ output

async function copy() {
  const text = $("restored").value;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $("restored").select();
    document.execCommand("copy");
  }
  $("copied").textContent = "Copied.";
  setTimeout(() => { $("copied").textContent = ""; }, 2000);
}

function download() {
  const blob = new Blob([$("restored").value], { type: "text/plain;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "restored.txt";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function loadFile(file) {
  if (!file) return;
  if (file.size > MAX_BYTES) { showError(`${file.name} is over 1 MB; use the command line (unspin check).`); return; }
  const buf = new Uint8Array(await file.arrayBuffer());
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    showError(`${file.name} is not UTF-8 text.`);
    return;
  }
  if (text.includes("\u0000")) { showError(`${file.name} looks binary, not text.`); return; }
  hideError();
  $("input").value = text.replace(/^\uFEFF/, "");
  check();
}

function showError(msg) { const e = $("error"); e.textContent = msg; e.hidden = false; }
function hideError() { $("error").hidden = true; }

// ------------------------------------------------------------------ wiring

function wire() {
  $("form").addEventListener("submit", check);
  $("input").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) check(e); });
  $("file").addEventListener("change", (e) => loadFile(e.target.files[0]));
  const input = $("input");
  input.addEventListener("dragover", (e) => { e.preventDefault(); input.classList.add("dragover"); });
  input.addEventListener("dragleave", () => input.classList.remove("dragover"));
  input.addEventListener("drop", (e) => {
    e.preventDefault();
    input.classList.remove("dragover");
    loadFile(e.dataTransfer.files[0]);
  });

  const doc = $("annotated");
  const index = (e) => { const b = e.target.closest("button.span"); return b ? Number(b.dataset.i) : -1; };
  doc.addEventListener("mouseover", (e) => { const i = index(e); if (i >= 0) { clearTimeout(hideTimer); openCard(i); } });
  doc.addEventListener("mouseout", scheduleClose);
  doc.addEventListener("focusin", (e) => { const i = index(e); if (i >= 0) openCard(i); });
  doc.addEventListener("focusout", scheduleClose);
  doc.addEventListener("click", (e) => { const i = index(e); if (i >= 0) openCard(i); });
  doc.addEventListener("keydown", (e) => {
    const i = index(e);
    if (i < 0 || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "a") { e.preventDefault(); decide(i, "accepted"); }
    else if (e.key === "r") { e.preventDefault(); decide(i, "rejected"); }
    else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      openCard(i);
      $("card").querySelector("button").focus();
    } else if (e.key === "Escape") closeCard();
  });
  const card = $("card");
  card.addEventListener("mouseleave", scheduleClose);
  card.addEventListener("focusout", scheduleClose);
  card.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { const i = state.active; closeCard(); if (i >= 0) spanButton(i).focus(); }
  });

  $("accept-all").addEventListener("click", () => decideAll("accepted"));
  $("reject-all").addEventListener("click", () => decideAll("rejected"));
  $("reset").addEventListener("click", () => {
    state.choice = state.spans.map((s) => s.suggestion);
    decideAll("pending");
  });
  for (const r of document.querySelectorAll('input[name="view"]')) {
    r.addEventListener("change", () => {
      $("annotated").hidden = r.value !== "highlights";
      $("inline").hidden = r.value !== "inline";
      $("side").hidden = r.value !== "side";
      $("legend").hidden = r.value !== "highlights";
      closeCard();
    });
  }
  $("copy").addEventListener("click", copy);
  $("download").addEventListener("click", download);
}

wire();
