// Rendering Slack content: mrkdwn text and Block Kit blocks, as Slack's own client shows them.
// Pure functions from data to DOM nodes; interaction goes through the `act` callback.
(() => {
"use strict";

const EMOJI = {
  ticket: "🎫", eyes: "👀", white_check_mark: "✅", heavy_check_mark: "✔️", new: "🆕",
  large_blue_circle: "🔵", hourglass_flowing_sand: "⏳", hourglass: "⌛", lock: "🔒",
  memo: "📝", warning: "⚠️", rotating_light: "🚨", fire: "🔥", star: "⭐", bar_chart: "📊",
  chart_with_upwards_trend: "📈", thumbsup: "👍", "+1": "👍", pray: "🙏", wave: "👋",
  tada: "🎉", x: "❌", information_source: "ℹ️", alarm_clock: "⏰", bell: "🔔",
  speech_balloon: "💬", bust_in_silhouette: "👤", busts_in_silhouette: "👥", clock1: "🕐",
  red_circle: "🔴", large_orange_circle: "🟠", large_green_circle: "🟢", inbox_tray: "📥",
  mag: "🔍", books: "📚", bulb: "💡", sparkles: "✨", heart: "❤️", smile: "😄",
  slightly_smiling_face: "🙂", white_circle: "⚪", arrow_right: "➡️", link: "🔗",
  twisted_rightwards_arrows: "🔀", palm_tree: "🌴", arrows_counterclockwise: "🔄",
  clipboard: "📋", calendar: "📅", pushpin: "📌", no_entry: "⛔", zzz: "💤", raising_hand: "🙋",
  mailbox: "📫", star2: "🌟", stopwatch: "⏱️", heavy_plus_sign: "➕", question: "❓",
  exclamation: "❗", thumbsdown: "👎", "-1": "👎", raised_hands: "🙌", point_right: "👉",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function unescapeSlack(text) {
  return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function pad(n) { return String(n).padStart(2, "0"); }

function clockTime(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function shortDate(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  return `${MONTHS[d.getMonth()]} ${d.getDate()}`;
}

function emoji(name) {
  return EMOJI[name] || `:${name}:`;
}

// What {ago} counts from: the workspace's clock once the page knows it (the demo's runs fast).
let nowSeconds = () => Date.now() / 1000;
function setNow(fn) { nowSeconds = fn; }

// Slack's {ago}: "6 hours ago", "1 minute ago", "just now" (kept current as it is read).
function agoText(epoch) {
  const seconds = Math.round(nowSeconds() - epoch);
  const amount = Math.abs(seconds);
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (amount >= size) {
      const count = Math.floor(amount / size);
      const words = `${count} ${unit}${count === 1 ? "" : "s"}`;
      return seconds >= 0 ? `${words} ago` : `in ${words}`;
    }
  }
  return "just now";
}

// <!date^1700000000^{date_short_pretty} {time}|fallback>
function formatDate(epoch, format) {
  return format.replace(/\{ago\}/g, agoText(epoch)).replace(/\{date_short_pretty\}|\{date_short\}|\{date\}|\{date_pretty\}|\{date_long\}|\{date_long_pretty\}/g, shortDate(epoch))
    .replace(/\{time\}|\{time_secs\}/g, clockTime(epoch));
}

// Formatting of plain (already HTML-escaped) text: code, bold, italic, strike, emoji.
function inlineFormat(html) {
  return html
    .replace(/```([\s\S]+?)```/g, (_, code) => `<pre>${code}</pre>`)
    .replace(/`([^`\n]+)`/g, (_, code) => `<code>${code}</code>`)
    .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s.,;:!?)<])/g, "$1<b>$2</b>")
    .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s.,;:!?)<])/g, "$1<i>$2</i>")
    .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s.,;:!?)<])/g, "$1<s>$2</s>")
    .replace(/:([a-z0-9_+\-']+):/g, (whole, name) => (EMOJI[name] ? EMOJI[name] : whole));
}

// Slack mrkdwn to HTML. `ctx` resolves users and channels: {userName(id), channelName(id)}.
function mrkdwnHtml(text, ctx) {
  const parts = [];
  const pattern = /<([^<>]+)>/g;
  let last = 0;
  let match;
  const source = String(text || "");
  while ((match = pattern.exec(source)) !== null) {
    parts.push(escapeHtml(unescapeSlack(source.slice(last, match.index))));
    parts.push(entityHtml(match[1], ctx));
    last = pattern.lastIndex;
  }
  parts.push(escapeHtml(unescapeSlack(source.slice(last))));
  const html = inlineFormat(parts.join(""));
  return html.split("\n").map((line) =>
    line.startsWith("&gt; ") ? `<blockquote>${line.slice(5)}</blockquote>` : line).join("<br>");
}

function entityHtml(inner, ctx) {
  const [target, label] = splitOnce(inner, "|");
  if (target.startsWith("@")) {
    return `<span class="mention">@${escapeHtml(ctx.userName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("#")) {
    const id = target.slice(1);
    const name = label || ctx.channelName(id);
    return `<a class="channel-link" href="#" data-channel="${escapeHtml(id)}">#${escapeHtml(name)}</a>`;
  }
  if (target.startsWith("!date^")) {
    const [, epoch, format] = target.split("^");
    return `<span class="date">${escapeHtml(formatDate(Number(epoch), format || "{date_short_pretty}"))}</span>`;
  }
  if (target.startsWith("!subteam^")) return `<span class="mention">@${escapeHtml(label || "group")}</span>`;
  if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  const url = unescapeSlack(target);
  const archive = url.match(/\/archives\/([A-Z0-9]+)\/p(\d+)(\d{6})(?:\?thread_ts=([\d.]+))?/);
  const text = escapeHtml(unescapeSlack(label || url));
  if (archive) {
    const ts = `${archive[2]}.${archive[3]}`;
    const thread = archive[4] || ts;
    return `<a href="#" class="permalink" data-channel="${archive[1]}" data-thread="${thread}">${text}</a>`;
  }
  if (!/^(https?:|mailto:)/.test(url)) return text;
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener">${text}</a>`;
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

function textNode(obj, ctx, cls) {
  const node = el("div", { class: cls || "text" });
  if (!obj) return node;
  if (obj.type === "mrkdwn") node.innerHTML = mrkdwnHtml(obj.text, ctx);
  else node.innerHTML = inlineFormat(escapeHtml(obj.text || "")).replace(/\n/g, "<br>");
  return node;
}

function plain(obj) {
  return obj ? String(obj.text || "") : "";
}

// --- interactive elements -----------------------------------------------------------------

function renderElement(element, blockId, ctx, act) {
  switch (element.type) {
    case "button": {
      const cls = `btn ${element.style ? `btn-${element.style}` : ""}`;
      return el("button", {
        class: cls, type: "button", "data-action": element.action_id,
        onclick: (e) => { e.target.disabled = true; act(blockId, element.action_id, element.value); },
      }, plain(element.text));
    }
    case "static_select": {
      const select = el("select", {
        class: "select", "data-action": element.action_id,
        onchange: (e) => act(blockId, element.action_id, e.target.value),
      });
      const initial = element.initial_option ? element.initial_option.value : null;
      if (!initial) select.append(el("option", { value: "", disabled: true, selected: true }, plain(element.placeholder) || "Select"));
      const groups = element.option_groups || [{ options: element.options || [] }];
      for (const group of groups) {
        const parent = group.label ? el("optgroup", { label: plain(group.label) }) : select;
        for (const option of group.options || []) {
          parent.append(el("option", { value: option.value, selected: option.value === initial }, plain(option.text)));
        }
        if (parent !== select) select.append(parent);
      }
      return select;
    }
    case "image":
      return el("img", { class: "accessory-image", src: element.image_url, alt: element.alt_text || "" });
    case "overflow": {
      const select = el("select", { class: "select overflow", onchange: (e) => act(blockId, element.action_id, e.target.value) },
        el("option", { value: "", selected: true, disabled: true }, "⋯"));
      for (const option of element.options || []) select.append(el("option", { value: option.value }, plain(option.text)));
      return select;
    }
    default:
      return el("span", { class: "unsupported" }, `[${element.type}]`);
  }
}

// --- blocks -------------------------------------------------------------------------------

function renderBlocks(blocks, ctx, act) {
  const root = el("div", { class: "blocks" });
  (blocks || []).forEach((block, index) => {
    const blockId = block.block_id || String(index);
    const node = renderBlock(block, blockId, ctx, act);
    if (node) root.append(node);
  });
  return root;
}

function renderBlock(block, blockId, ctx, act) {
  switch (block.type) {
    case "section": {
      const node = el("div", { class: "block section", "data-block": blockId });
      const body = el("div", { class: "section-body" });
      if (block.text) body.append(textNode(block.text, ctx));
      if (block.fields) {
        body.append(el("div", { class: "fields" }, block.fields.map((f) => textNode(f, ctx, "field"))));
      }
      node.append(body);
      if (block.accessory) node.append(el("div", { class: "accessory" }, renderElement(block.accessory, blockId, ctx, act)));
      return node;
    }
    case "header":
      return el("div", { class: "block bk-header", "data-block": blockId }, plain(block.text));
    case "divider":
      return el("hr", { class: "block divider" });
    case "context":
      return el("div", { class: "block context", "data-block": blockId }, (block.elements || []).map((e) =>
        e.type === "image" ? el("img", { src: e.image_url, alt: e.alt_text || "" }) : textNode(e, ctx, "context-text")));
    case "actions":
      return el("div", { class: "block actions", "data-block": blockId },
        (block.elements || []).map((e) => renderElement(e, blockId, ctx, act)));
    case "image":
      return el("figure", { class: "block image" },
        block.title ? el("figcaption", {}, plain(block.title)) : null,
        el("img", { src: block.image_url || "", alt: block.alt_text || "" }));
    case "rich_text":
      return el("div", { class: "block rich" }, richText(block));
    case "markdown": {
      const node = el("div", { class: "block markdown" });
      node.innerHTML = mrkdwnHtml(block.text || "", ctx);
      return node;
    }
    default:
      return el("div", { class: "block unsupported" }, `[${block.type} block]`);
  }
}

function richText(block) {
  const out = [];
  const walk = (node) => {
    if (node.type === "text") out.push(node.text);
    else if (node.type === "emoji") out.push(emoji(node.name));
    else if (node.type === "link") out.push(node.text || node.url);
    for (const child of node.elements || []) walk(child);
  };
  walk(block);
  return out.join("");
}

// Files shared into a message (e.g. charts uploaded with files.completeUploadExternal).
// Images are shown inline from a same-origin or data URL; anything else as a file chip.
function renderFiles(files) {
  if (!files || !files.length) return null;
  return el("div", { class: "files" }, files.map((file) => {
    const src = [file.thumb_720, file.thumb_480, file.url_private, file.permalink]
      .find((url) => url && (url.startsWith("/") || url.startsWith(location.origin) || url.startsWith("data:")));
    if ((file.mimetype || "").startsWith("image/") && src) {
      return el("figure", { class: "file-image" }, el("img", { src, alt: file.title || file.name || "image" }),
        el("figcaption", {}, file.title || file.name || ""));
    }
    return el("div", { class: "file-chip" }, "📄 ", file.title || file.name || "file");
  }));
}

window.SK = { el, emoji, mrkdwnHtml, renderBlocks, renderFiles, clockTime, shortDate, setNow, EMOJI };
})();
