// The workspace client: sidebar, channel, thread pane, App Home, composer, user switcher.
// Reads state from /client/*, acts through POST /client/*, redraws on Server-Sent Events.
"use strict";

const { el, emoji, mrkdwnHtml, renderBlocks, renderFiles, renderModal, clockTime, shortDate } = window.SK;
const QUICK_REACTIONS = ["eyes", "white_check_mark", "ticket", "thumbsup", "pray"];
const params = new URLSearchParams(location.search);
const state = {
  ws: null, me: null, view: { kind: "channel", id: null, tab: "home" },
  thread: null, data: null, home: null, pending: false,
};

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(`${data.error}${data.why && data.why.length ? `: ${data.why.join("; ")}` : ""}`);
  return data;
}

function toast(text) {
  const node = document.getElementById("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 5000);
}

const user = (id) => state.ws.users.find((u) => u.id === id);
const ctx = {
  userName: (id) => (user(id) ? user(id).real_name || user(id).name : id),
  channelName: (id) => { const c = state.ws.channels.find((ch) => ch.id === id); return c ? c.name : id; },
};
const meUser = () => user(state.me);
const visibleChannels = () => state.ws.channels.filter((c) => !meUser().external || c.is_ext_shared);

// --- sidebar -------------------------------------------------------------------------------

function renderSidebar() {
  const switcher = document.getElementById("switcher");
  // Grouped by role and organization, so each option is just a name and never truncates.
  const groups = new Map();
  for (const u of state.ws.users.filter((p) => !p.is_bot)) {
    const label = `${u.role ? `${u.role[0].toUpperCase()}${u.role.slice(1)}s` : "Members"}${u.external ? ` · ${u.team_name}` : ""}`;
    if (!groups.has(label)) groups.set(label, el("optgroup", { label }));
    groups.get(label).append(el("option", { value: u.id, selected: u.id === state.me }, u.real_name || u.name));
  }
  switcher.replaceChildren(...groups.values());
  document.getElementById("team-name").textContent = state.ws.team.name;
  const me = meUser();
  document.getElementById("me").textContent = `${me.real_name} (${me.external ? `${me.team_name}, external` : state.ws.team.name})`;
  const list = document.getElementById("channels");
  list.replaceChildren(...visibleChannels().map((c) => el("li", {
    class: `nav-item ${state.view.kind === "channel" && state.view.id === c.id ? "active" : ""}`,
    "data-channel": c.id, onclick: () => openChannel(c.id),
  }, el("span", { class: "hash" }, c.is_private ? "🔒" : "#"), c.name,
  c.is_ext_shared ? el("span", { class: "shared", title: "Shared with another organization" }, "⇄") : null)));
  const apps = document.getElementById("apps");
  apps.replaceChildren(el("li", {
    class: `nav-item ${state.view.kind === "app" ? "active" : ""}`, "data-app": "bot",
    onclick: () => openApp("home"),
  }, el("span", { class: "app-dot" }), state.ws.bot.name));
}

// --- messages ------------------------------------------------------------------------------

function author(message, ephemeral) {
  if (message.from === "USLACKBOT") return { name: "Slackbot", app: true, initials: "S" };
  if (ephemeral || message.bot_id || message.user === state.ws.bot.id) {
    return { name: state.ws.bot.name, app: true, initials: "D" };
  }
  const u = user(message.user) || { real_name: message.user, name: message.user };
  return { name: u.real_name || u.name, app: false, initials: (u.real_name || u.name)[0].toUpperCase(), org: u.external ? u.team_name : null };
}

function renderMessage(message, options) {
  const ephemeral = Boolean(options.ephemeral);
  const who = author(message, ephemeral);
  const holder = ephemeral ? { channel: message.channel, ts: message.ts, ephemeral: true }
    : { channel: state.data.channel, ts: message.ts };
  const act = (blockId, actionId, value) => press(holder, blockId, actionId, value);
  const body = el("div", { class: "msg-body" },
    el("div", { class: "msg-head" },
      el("span", { class: "author" }, who.name),
      who.app ? el("span", { class: "tag" }, "APP") : null,
      who.org ? el("span", { class: "tag org" }, who.org) : null,
      el("span", { class: "time", title: message.ts }, clockTime(Number(message.ts))),
      message.edited && !who.app ? el("span", { class: "edited" }, "(edited)") : null),
  );
  if (message.blocks && message.blocks.length && !message.client_msg_id) {
    body.append(renderBlocks(message.blocks, ctx, act));
  } else {
    const text = el("div", { class: "text" });
    text.innerHTML = mrkdwnHtml(message.text, ctx);
    body.append(text);
  }
  const files = renderFiles(message.files);
  if (files) body.append(files);
  if (ephemeral) body.append(el("div", { class: "only-you" }, "👁 Only visible to you"));
  if (message.reactions && message.reactions.length) {
    body.append(el("div", { class: "reactions" }, message.reactions.map((r) => el("button", {
      class: `reaction ${r.users.includes(state.me) ? "mine" : ""}`, title: r.users.map(ctx.userName).join(", "),
      "data-reaction": r.name, onclick: () => react(message.ts, r.name),
    }, `${emoji(r.name)} ${r.count}`))));
  }
  if (options.replies && message.reply_count) {
    body.append(el("a", { href: "#", class: "replies", onclick: (e) => { e.preventDefault(); openThread(message.ts); } },
      `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`));
  }
  const tools = ephemeral ? null : el("div", { class: "tools" },
    QUICK_REACTIONS.map((name) => el("button", { class: "tool", title: `:${name}:`, "data-react": name, onclick: () => react(message.ts, name) }, emoji(name))),
    options.replies ? el("button", { class: "tool", title: "Reply in thread", onclick: () => openThread(message.ts) }, "💬") : null,
    shortcutMenu(message));
  return el("div", { class: `msg ${ephemeral ? "ephemeral" : ""}`, "data-ts": message.ts },
    el("div", { class: `avatar ${who.app ? "app" : ""}` }, who.initials), body, tools);
}

// The app's message shortcuts, in a "More actions" menu on each message (as Slack's ⋮ menu).
function shortcutMenu(message) {
  if (!state.ws.shortcuts.length) return null;
  const menu = el("select", {
    class: "tool more", title: "More actions", "aria-label": "More actions", "data-shortcuts": message.ts,
    onchange: (e) => { const id = e.target.value; e.target.value = ""; shortcut(message.ts, id); },
  }, el("option", { value: "", selected: true, disabled: true }, "⋮"));
  for (const s of state.ws.shortcuts) menu.append(el("option", { value: s.callback_id }, `${s.name} · ${state.ws.bot.name}`));
  return menu;
}

function byTs(a, b) { return Number(a.ts) - Number(b.ts); }

function dayDividers(items, render) {
  const nodes = [];
  let day = null;
  for (const item of items) {
    const label = shortDate(Number(item.ts));
    if (label !== day) { nodes.push(el("div", { class: "day" }, el("span", {}, label))); day = label; }
    nodes.push(render(item));
  }
  return nodes;
}

function renderChannel() {
  const data = state.data;
  const roots = data.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts).map((m) => ({ m, eph: false }));
  const ephs = data.ephemerals.filter((e) => !e.thread_ts).map((m) => ({ m, eph: true }));
  const items = roots.concat(ephs).sort((a, b) => byTs(a.m, b.m));
  const list = document.getElementById("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren(...dayDividers(items.map((i) => ({ ...i, ts: i.m.ts })), (i) => renderMessage(i.m, { ephemeral: i.eph, replies: !i.eph })));
  if (state.view.kind === "channel" && !items.length) list.append(emptyHint());
  if (state.view.kind === "app") {
    list.append(el("div", { class: "empty" }, items.length ? "" : "No messages from the app yet.",
      el("div", {}, "Sending messages to this app has been turned off.")));
  }
  if (atBottom || state.scrollNext) list.scrollTop = list.scrollHeight;
  state.scrollNext = false;
  renderThread();
}

// What to try in an empty channel: who to act as, and what to type.
function emptyHint() {
  const c = state.ws.channels.find((ch) => ch.id === state.view.id);
  const customer = state.ws.users.find((u) => u.role === "customer");
  const agent = state.ws.users.find((u) => u.role === "agent");
  const tip = c && c.is_ext_shared
    ? `Nothing here yet. Act as a customer${customer ? ` (${customer.real_name})` : ""} and ask a question, e.g. “Our CSV export fails with a timeout”: it becomes a ticket.`
    : `Nothing here yet. Ask a question in a shared channel as a customer; then act as an agent${agent ? ` (${agent.real_name})` : ""} and type ${state.ws.commands.length ? `${state.ws.commands[0]} help` : "a slash command"} here.`;
  return el("div", { class: "empty hint", "data-hint": "empty" }, tip);
}

function renderThread() {
  const pane = document.getElementById("thread");
  if (!state.thread || !state.data) { pane.hidden = true; return; }
  const data = state.data;
  const items = data.messages.filter((m) => m.ts === state.thread || m.thread_ts === state.thread).map((m) => ({ m, eph: false }))
    .concat(data.ephemerals.filter((e) => e.thread_ts === state.thread).map((m) => ({ m, eph: true })))
    .sort((a, b) => byTs(a.m, b.m));
  pane.hidden = false;
  document.getElementById("thread-title").textContent = `Thread in #${ctx.channelName(data.channel)}`;
  document.getElementById("thread-messages").replaceChildren(...items.map((i) => renderMessage(i.m, { ephemeral: i.eph })));
}

function renderHome() {
  const pane = document.getElementById("messages");
  if (!state.home) {
    pane.replaceChildren(el("div", { class: "empty" }, "Loading Home…"));
    return;
  }
  const view = state.home;
  const act = (blockId, actionId, value) => press({ view_id: view.id }, blockId, actionId, value);
  pane.replaceChildren(el("div", { class: "home" }, renderBlocks(view.blocks, ctx, act)));
}

function renderHeader() {
  const title = document.getElementById("title");
  const tabs = document.getElementById("tabs");
  const composer = document.getElementById("composer");
  if (state.view.kind === "app") {
    title.replaceChildren(el("span", { class: "app-dot" }), state.ws.bot.name);
    tabs.hidden = false;
    for (const tab of tabs.querySelectorAll("button")) tab.classList.toggle("active", tab.dataset.tab === state.view.tab);
    composer.hidden = true;  // the app's manifest turns its Messages tab's input off
  } else {
    const c = state.ws.channels.find((ch) => ch.id === state.view.id);
    const shared = c.is_ext_shared ? el("span", { class: "badge" }, "⇄ shared with another organization") : "";
    title.replaceChildren(`# ${c.name}`, shared, c.topic ? el("span", { class: "topic" }, c.topic) : "");
    tabs.hidden = true;
    composer.hidden = false;
  }
  const input = document.getElementById("input");
  input.placeholder = state.view.kind === "app" ? `Message ${state.ws.bot.name}` : `Message #${ctx.channelName(state.view.id)} — or ${state.ws.commands.join(", ")}`;
}

// --- navigation ----------------------------------------------------------------------------

function openChannel(id) {
  document.body.classList.remove("nav-open");
  state.view = { kind: "channel", id, tab: "home" };
  state.thread = null;
  state.data = null;
  state.scrollNext = true;
  renderSidebar(); renderHeader(); refresh();
}

function openApp(tab) {
  document.body.classList.remove("nav-open");
  state.view = { kind: "app", id: "app", tab };
  state.thread = null;
  state.data = null;
  state.home = null;
  renderSidebar(); renderHeader();
  if (tab === "home") api("/client/home", { user: state.me }).catch((e) => toast(e.message));
  refresh();
}

function openThread(ts) {
  state.thread = ts;
  renderThread();
  document.getElementById("thread-input").focus();
}

function switchUser(id) {
  state.me = id;
  remember(id);
  const visible = visibleChannels();
  if (state.view.kind === "channel" && !visible.some((c) => c.id === state.view.id)) state.view.id = visible[0].id;
  if (state.view.kind === "app") { openApp(state.view.tab); return; }
  openChannel(state.view.id);
}

// --- actions -------------------------------------------------------------------------------

async function refresh() {
  if (state.pending) { state.again = true; return; }
  state.pending = true;
  try {
    if (state.view.kind === "app" && state.view.tab === "home") {
      state.home = (await api(`/client/home?user=${state.me}`)).view;
      renderHome();
    } else {
      const channel = state.view.kind === "app" ? "app" : state.view.id;
      state.data = await api(`/client/channel?user=${state.me}&channel=${channel}`);
      renderChannel();
    }
    await syncModal();
  } catch (error) {
    toast(error.message);
  } finally {
    state.pending = false;
    if (state.again) { state.again = false; refresh(); }
  }
}

// Show the modal the app opened for me (views.open), keeping what I typed while it stays.
async function syncModal() {
  const view = (await api(`/client/modal?user=${state.me}`)).view;
  const shown = document.getElementById("modal");
  const key = view ? `${view.id}/${view.hash}` : null;
  if (shown && shown.dataset.key === key) return;
  if (shown) shown.remove();
  if (!view) return;
  const node = renderModal(view, ctx, {
    act: (blockId, actionId, value) => press({ view_id: view.id }, blockId, actionId, value),
    close: async () => {
      node.remove();
      await api("/client/modal/close", { user: state.me, view_id: view.id }).catch((e) => toast(e.message));
    },
    submit: async (values) => {
      try {
        const answer = await api("/client/modal/submit", { user: state.me, view_id: view.id, values });
        if (!answer.ok) return answer.errors;
        node.remove();
        refresh();
      } catch (error) { toast(error.message); }
      return null;
    },
  });
  node.dataset.key = key;
  document.body.append(node);
  const first = node.querySelector("[data-input]");
  if (first) first.focus();
}

async function shortcut(ts, callbackId) {
  try {
    const answer = await api("/client/shortcut", { user: state.me, channel: state.data.channel, ts, callback_id: callbackId });
    if (!answer.ok) toast(`The app answered HTTP ${answer.status}`);
  } catch (error) { toast(error.message); }
  refresh();
}

async function send(input, threadTs) {
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  document.getElementById("suggest").hidden = true;
  const channel = state.view.kind === "app" ? "app" : state.view.id;
  try {
    await api("/client/post", { user: state.me, channel, text, thread_ts: threadTs || null });
    state.scrollNext = !threadTs;
  } catch (error) {
    input.value = text;
    toast(error.message);
  }
  refresh();
}

async function react(ts, name) {
  const channel = state.data ? state.data.channel : state.view.id;
  try { await api("/client/react", { user: state.me, channel, ts, name }); } catch (error) { toast(error.message); }
}

async function press(holder, blockId, actionId, value) {
  try {
    const answer = await api("/client/action", { user: state.me, block_id: blockId, action_id: actionId, value, ...holder });
    if (!answer.ok) toast(`The app answered HTTP ${answer.status}`);
  } catch (error) { toast(error.message); }
  refresh();
}

// Slash command suggestions while the message starts with "/", as Slack's box shows them.
function suggestCommands(input) {
  const box = document.getElementById("suggest");
  const word = input.value.startsWith("/") ? input.value.split(" ")[0] : null;
  const matches = word && !input.value.includes(" ") ? state.ws.commands.filter((c) => c.startsWith(word)) : [];
  box.hidden = matches.length === 0;
  box.replaceChildren(...matches.map((command) => el("li", {
    onmousedown: (e) => { e.preventDefault(); input.value = `${command} `; box.hidden = true; input.focus(); },
  }, el("b", {}, command), ` · ${state.ws.bot.name}`)));
}

function wire() {
  document.getElementById("switcher").addEventListener("change", (e) => switchUser(e.target.value));
  // On a narrow screen the sidebar is a drawer the ☰ button opens.
  document.getElementById("menu").addEventListener("click", () => document.body.classList.toggle("nav-open"));
  for (const [id, threadInput] of [["input", false], ["thread-input", true]]) {
    const input = document.getElementById(id);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(input, threadInput ? state.thread : null); }
    });
  }
  const main = document.getElementById("input");
  main.addEventListener("input", () => suggestCommands(main));
  main.addEventListener("blur", () => { document.getElementById("suggest").hidden = true; });
  document.getElementById("send").addEventListener("click", () => send(document.getElementById("input"), null));
  document.getElementById("thread-send").addEventListener("click", () => send(document.getElementById("thread-input"), state.thread));
  document.getElementById("thread-close").addEventListener("click", () => { state.thread = null; renderThread(); });
  for (const tab of document.querySelectorAll("#tabs button")) tab.addEventListener("click", () => openApp(tab.dataset.tab));
  document.body.addEventListener("click", (e) => {
    const link = e.target.closest("a.permalink, a.channel-link");
    if (!link) return;
    e.preventDefault();
    if (!visibleChannels().some((c) => c.id === link.dataset.channel)) { toast("You are not in that channel"); return; }
    openChannel(link.dataset.channel);
    if (link.dataset.thread) openThread(link.dataset.thread);
  });
}

// An accelerated workspace clock (the demo's): shown ticking in the sidebar.
async function syncClock() {
  const clock = await api("/client/clock");
  const node = document.getElementById("clock");
  if (clock.now === null) { node.hidden = true; return; }
  const base = { now: clock.now, speed: clock.speed, at: Date.now() };
  window.SK.setNow(() => base.now + ((Date.now() - base.at) / 1000) * base.speed);
  node.hidden = false;
  const tick = () => {
    const now = base.now + ((Date.now() - base.at) / 1000) * base.speed;
    node.textContent = `🕘 ${shortDate(now)} ${clockTime(now)} · time ×${base.speed}`;
  };
  tick();
  clearInterval(syncClock.timer);
  syncClock.timer = setInterval(tick, 1000);
}

// The app's web dashboard: its Sign in with Slack page (served by this workspace) puts the
// person acting here first, so it reads who that is from this origin's storage.
function remember(id) {
  try { localStorage.setItem("fakeslack.me", id); } catch (error) { /* storage off: no hint */ }
}

function showDashboard(port) {
  const link = document.getElementById("dashboard");
  if (!port || !link) return;
  link.href = `${location.protocol}//${location.hostname}:${port}/`;
  link.hidden = false;
}

async function start() {
  state.ws = await api("/client/workspace");
  document.title = state.ws.title;
  const asked = params.get("as");
  state.me = user(asked) ? asked : state.ws.default_user || state.ws.users.find((u) => !u.is_bot).id;
  remember(state.me);
  showDashboard(state.ws.dashboard_port);
  const channel = params.get("channel");
  state.view.id = visibleChannels().some((c) => c.id === channel) ? channel : visibleChannels()[0].id;
  wire();
  renderSidebar(); renderHeader(); refresh();
  let timer = null;
  const stream = new EventSource("/client/stream");
  stream.onmessage = () => {
    clearTimeout(timer);
    timer = setTimeout(() => { refresh(); syncClock().catch(() => {}); }, 60);
  };
  stream.onerror = () => document.body.classList.add("offline");
  stream.onopen = () => document.body.classList.remove("offline");
  syncClock().catch(() => {});
  setInterval(() => syncClock().catch(() => {}), 30000);
  document.body.dataset.ready = "1";
}

start().catch((error) => toast(`Cannot reach the workspace: ${error.message}`));
