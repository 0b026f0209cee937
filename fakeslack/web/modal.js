// Modals the app opens with views.open, shown over the page as Slack's client shows them:
// the blocks, the inputs (with their labels, hints and the app's errors under them), Cancel
// and Submit. The workspace sends the submission to the app as a signed view_submission.
(() => {
"use strict";

const { el, renderBlocks } = window.SK;
const plain = (obj) => (obj ? String(obj.text || "") : "");

function inputNode(element) {
  if (element.type === "static_select") {
    const select = el("select", { class: "select", "data-input": element.action_id },
      el("option", { value: "" }, plain(element.placeholder) || "Select"));
    for (const option of element.options || []) {
      const chosen = element.initial_option && element.initial_option.value === option.value;
      select.append(el("option", { value: option.value, selected: chosen }, plain(option.text)));
    }
    return select;
  }
  if (element.type === "plain_text_input") {
    const attrs = {
      class: "modal-input", "data-input": element.action_id,
      placeholder: plain(element.placeholder) || null, maxlength: element.max_length || null,
    };
    const node = element.multiline ? el("textarea", { ...attrs, rows: 4 }) : el("input", { ...attrs, type: "text" });
    node.value = element.initial_value || "";
    return node;
  }
  return el("span", { class: "unsupported" }, `[${element.type}]`);
}

function inputBlock(block) {
  const element = block.element || {};
  return el("label", { class: "modal-field", "data-block": block.block_id },
    el("span", { class: "modal-label" }, plain(block.label), block.optional ? el("span", { class: "optional" }, " (optional)") : null),
    inputNode(element),
    block.hint ? el("span", { class: "modal-hint" }, plain(block.hint)) : null,
    el("span", { class: "modal-error", "data-error": block.block_id, hidden: true }));
}

// The values typed so far, as {block_id: {action_id: value}}.
function values(root, view) {
  const out = {};
  for (const block of view.blocks || []) {
    if (block.type !== "input" || !block.element) continue;
    const node = root.querySelector(`[data-block="${block.block_id}"] [data-input]`);
    if (node) out[block.block_id] = { [block.element.action_id]: node.value };
  }
  return out;
}

function showErrors(root, errors) {
  for (const node of root.querySelectorAll("[data-error]")) {
    const message = errors[node.dataset.error];
    node.hidden = !message;
    node.textContent = message || "";
  }
}

// Build the modal; `on` has submit(values) -> Promise<errors|null>, close(), act(blockId, actionId, value).
function renderModal(view, ctx, on) {
  const body = el("div", { class: "modal-body" });
  for (const block of view.blocks || []) {
    body.append(block.type === "input" ? inputBlock(block) : renderBlocks([block], ctx, on.act));
  }
  const submit = view.submit ? el("button", { type: "submit", class: "btn btn-primary", "data-modal": "submit" }, plain(view.submit)) : null;
  const form = el("form", { class: "modal", role: "dialog", "aria-modal": "true", "aria-label": plain(view.title), "data-view": view.id },
    el("header", { class: "modal-head" }, el("h2", {}, plain(view.title)),
      el("button", { type: "button", class: "close", "aria-label": "Close", onclick: on.close }, "✕")),
    body,
    el("footer", { class: "modal-foot" },
      el("button", { type: "button", class: "btn", "data-modal": "close", onclick: on.close }, plain(view.close) || "Cancel"),
      submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (submit) submit.disabled = true;
    try {
      const errors = await on.submit(values(form, view));
      if (errors) showErrors(form, errors);
    } finally {
      if (submit) submit.disabled = false;
    }
  });
  return el("div", { class: "modal-backdrop", id: "modal" }, form);
}

window.SK.renderModal = renderModal;
})();
