// The sandbox page: three people, each a chat client of the stand-in's test-facing API
// (/_standin/...). Live updates come as Server-Sent Events on one connection for every chat shown.
// Text from the bot or from people is only ever put in the page as text nodes (bold, italic and
// links come from message entities); nothing here uses innerHTML.

const NARROW = window.matchMedia("(max-width: 860px)");
const EVENT_KINDS = [
  "incoming", "incoming_edit", "sent", "edited", "deleted", "callback_answered", "chat_action",
];
const MAX_UPLOAD = 50 * 1024 * 1024;
const PHOTO_TYPES = /^image\/(jpeg|png|webp)$/;
const PALETTE = ["#e17076", "#7bc862", "#e5ca77", "#65aadd", "#a695e7", "#ee7aae", "#6ec9cb", "#faa774"];
const TYPING_MS = 5000;
const PRESS_TIMEOUT_MS = 15000;

const app = {
  view: null,
  panes: [],
  source: null,
  activeRole: "reporter",
  loadedAt: Date.now() / 1000,
};

// -- small helpers ---------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "style") Object.assign(node.style, value); // CSSOM: allowed by the CSP
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function icon(path, label) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const shape = document.createElementNS(SVG_NS, "path");
  shape.setAttribute("d", path);
  svg.append(shape);
  return label ? el("span", { class: "icon" }, svg, el("span", { class: "sr-only", text: label })) : svg;
}
const ICON_SEND = "M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z";
const ICON_ATTACH =
  "M16.5 6.5v10.1a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.7a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.8a6 6 0 0 0 12 0V6.5z";
const ICON_FILE = "M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5z";

async function api(path, { method = "GET", body } = {}) {
  const init = { method, headers: {}, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let answer;
  try {
    answer = await response.json();
  } catch {
    throw new Error(`the sandbox answered ${response.status}`);
  }
  if (!answer.ok) throw new Error(answer.error || answer.description || `error ${response.status}`);
  return answer.result;
}

function colorFor(id) {
  return PALETTE[Math.abs(Number(id) || 0) % PALETTE.length];
}

function initials(name) {
  const words = String(name || "?").trim().split(/\s+/).filter(Boolean);
  return (words.slice(0, 2).map((w) => Array.from(w)[0]).join("") || "?").toUpperCase();
}

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function fileSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function safeUrl(raw, schemes = ["http:", "https:"]) {
  try {
    const url = new URL(raw);
    return schemes.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

function fileUrl(fileId) {
  return `/_standin/files/${encodeURIComponent(fileId)}`;
}

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

function showAlert(text) {
  const dialog = document.getElementById("alert");
  document.getElementById("alert-text").textContent = text;
  if (!dialog.open) dialog.showModal();
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
    reader.onerror = () => reject(reader.error || new Error("cannot read the file"));
    reader.readAsDataURL(file);
  });
}

// -- message text with entities (UTF-16 offsets, as JavaScript strings count) ----------------

function entityNode(entity, slice, view) {
  switch (entity.type) {
    case "bold": return el("strong");
    case "italic": return el("em");
    case "underline": return el("u");
    case "strikethrough": return el("s");
    case "code": return el("code");
    case "pre": {
      const code = el("code");
      return { outer: el("pre", {}, code), inner: code };
    }
    case "blockquote":
    case "expandable_blockquote": return el("blockquote");
    case "spoiler": {
      const node = el("span", { class: "spoiler", title: "Show", tabindex: "0" });
      node.addEventListener("click", () => node.classList.add("revealed"));
      return node;
    }
    case "text_link": {
      const href = safeUrl(entity.url, ["http:", "https:", "mailto:", "tel:"]);
      return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }) : el("span");
    }
    case "url": {
      const href = safeUrl(/^[a-z][a-z0-9+.-]*:/i.test(slice) ? slice : `https://${slice}`);
      return href ? el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }) : el("span");
    }
    case "email": return el("a", { href: `mailto:${slice}` });
    case "phone_number": return el("a", { href: `tel:${slice.replace(/[^0-9+]/g, "")}` });
    case "bot_command": {
      const node = el("button", { type: "button", class: "command", title: `Send ${slice}` });
      node.addEventListener("click", () => view.sendText(slice.split("@")[0]));
      return node;
    }
    case "mention":
    case "hashtag":
    case "cashtag":
    case "text_mention": return el("span", { class: "mention" });
    default: return el("span");
  }
}

function buildRich(parent, text, start, end, entities, view) {
  let position = start;
  let i = 0;
  while (i < entities.length) {
    const entity = entities[i];
    const entityEnd = entity.offset + entity.length;
    let j = i + 1;
    while (j < entities.length && entities[j].offset < entityEnd) j += 1;
    const from = Math.max(entity.offset, position);
    const to = Math.min(entityEnd, end);
    if (from < to) {
      if (from > position) parent.append(text.slice(position, from));
      const made = entityNode(entity, text.slice(entity.offset, entityEnd), view);
      const outer = made.outer || made;
      buildRich(made.inner || made, text, from, to, entities.slice(i + 1, j), view);
      parent.append(outer);
      position = to;
    }
    i = j;
  }
  if (position < end) parent.append(text.slice(position, end));
}

function richText(text, entities, view) {
  const node = el("div", { class: "text", dir: "auto" });
  const usable = (entities || [])
    .filter((e) => Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
    .sort((a, b) => a.offset - b.offset || b.length - a.length);
  buildRich(node, text, 0, text.length, usable, view);
  return node;
}

// -- one chat as one person sees it ----------------------------------------------------------

class ChatView {
  constructor(pane, chat) {
    this.pane = pane;
    this.chat = chat;
    this.actor = pane.person;
    this.messages = new Map();
    this.lastSeq = 0;
    this.unread = 0;
    this.keyboard = null;
    this.keyboardDismissed = null;
    this.typingTimer = null;
    this.keyboardTimer = null;
    this.started = false;
    this.build();
  }

  build() {
    const chat = this.chat;
    this.subtitle = el("div", { class: "chat-subtitle", text: chat.subtitle });
    this.list = el("ol", {
      class: "messages", role: "log", "aria-live": "polite", "aria-label": `Messages: ${chat.title}`,
    });
    this.empty = el("div", { class: "empty" }, el("p", {
      text: chat.kind === "private"
        ? (this.pane.role === "reporter"
          ? "This is the bot a family member finds in Telegram. Press Start to report a detention."
          : "No messages yet.")
        : "Case cards will appear here.",
    }));
    this.replyKeyboard = el("div", { class: "reply-keyboard", hidden: true });
    this.startButton = el("button", {
      type: "button", class: "start-button", text: "Start", onclick: () => this.sendText("/start"),
    });
    this.textarea = el("textarea", {
      rows: "1", dir: "auto", maxlength: "4096", placeholder: "Message",
      "aria-label": `Message as ${this.actor.first_name}`,
    });
    this.textarea.addEventListener("input", () => this.fit());
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.fileInput = el("input", { type: "file", class: "sr-only", tabindex: "-1" });
    this.fileInput.addEventListener("change", () => this.upload());
    const attach = el("button", {
      type: "button", class: "round attach", title: "Send a photo or a file",
      onclick: () => this.fileInput.click(),
    }, icon(ICON_ATTACH, "Send a photo or a file"));
    const send = el("button", { type: "submit", class: "round send", title: "Send" }, icon(ICON_SEND, "Send"));
    this.composer = el("form", { class: "composer" }, this.fileInput, attach, this.textarea, send);
    this.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.startBar = el("div", { class: "start-bar" }, this.startButton);
    this.root = el(
      "section",
      { class: "chat", "data-chat-id": chat.id, "data-kind": chat.kind, "aria-label": chat.title },
      el("header", { class: "chat-head" },
        el("div", { class: "avatar", style: { background: colorFor(chat.id) }, "aria-hidden": "true",
          text: initials(chat.title) }),
        el("div", { class: "chat-names" }, el("div", { class: "chat-title", text: chat.title }), this.subtitle)),
      el("div", { class: "scroller" }, this.empty, this.list),
      this.replyKeyboard,
      this.startBar,
      this.composer,
    );
    this.scroller = this.root.querySelector(".scroller");
    this.updateChrome();
  }

  get visible() {
    return this.pane.activeChat === this && (!NARROW.matches || app.activeRole === this.pane.role);
  }

  fit() {
    this.textarea.style.height = "auto";
    this.textarea.style.height = `${Math.min(this.textarea.scrollHeight, 160)}px`;
  }

  nearBottom() {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 96;
  }

  toBottom() {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }

  updateChrome() {
    // A private chat shows Start until its first message; after that (even once the bot has
    // deleted every message, as /wipe does) it is a started chat with a composer.
    if (!this.started && (this.chat.kind !== "private" || this.messages.size > 0)) {
      this.started = true;
      if (this.chat.kind === "private") this.empty.firstChild.textContent = "No messages here.";
    }
    this.empty.hidden = this.messages.size > 0;
    this.startBar.hidden = this.started;
    this.composer.hidden = !this.started;
  }

  // -- events ------------------------------------------------------------------------------

  apply(event) {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    const live = event.time >= app.loadedAt - 1;
    const data = event.data || {};
    switch (event.kind) {
      case "incoming":
      case "sent":
        this.upsert(data.message, { live, fresh: true });
        if (event.kind === "sent") {
          this.typing(false);
          const markup = data.message && data.message.reply_markup;
          if (!(markup && markup.inline_keyboard)) this.scheduleKeyboard();
        }
        break;
      case "edited":
      case "incoming_edit":
        this.upsert(data.message, { live, fresh: false });
        break;
      case "deleted":
        this.remove(event.message_id, live);
        break;
      case "callback_answered":
        if (data.user_id === this.actor.id) this.answered(event.message_id, data, live);
        break;
      case "chat_action":
        if (live && data.action === "typing") this.typing(true);
        break;
      default:
        break;
    }
  }

  upsert(message, { live, fresh }) {
    if (!message) return;
    const stick = this.nearBottom();
    const old = this.messages.get(message.message_id);
    const node = this.renderMessage(message);
    if (old) {
      old.node.replaceWith(node);
      if (live) node.classList.add("flash");
    } else {
      const later = [...this.messages.keys()].filter((id) => id > message.message_id).sort((a, b) => a - b);
      const before = later.length ? this.messages.get(later[0]).node : null;
      this.list.insertBefore(node, before);
      if (live) node.classList.add("appear");
    }
    this.messages.set(message.message_id, { message, node });
    this.updateChrome();
    const mine = this.isMine(message);
    if (fresh && live && !mine && !this.visible) {
      this.unread += 1;
      this.pane.updateBadges();
    }
    if (stick || (fresh && mine)) this.toBottom();
  }

  remove(messageId, live) {
    const found = this.messages.get(messageId);
    if (!found) return;
    this.messages.delete(messageId);
    if (live) {
      found.node.classList.add("vanish");
      setTimeout(() => found.node.remove(), 220);
    } else {
      found.node.remove();
    }
    this.updateChrome();
  }

  answered(messageId, answer, live) {
    const found = this.messages.get(messageId);
    if (found) found.node.querySelectorAll(".pending").forEach((b) => this.unpend(b));
    if (!live || !answer.text) return;
    if (answer.show_alert) showAlert(answer.text);
    else this.pane.toast(answer.text);
  }

  typing(on) {
    clearTimeout(this.typingTimer);
    this.subtitle.textContent = on ? "typing…" : this.chat.subtitle;
    this.subtitle.classList.toggle("typing", on);
    if (on) this.typingTimer = setTimeout(() => this.typing(false), TYPING_MS);
  }

  // -- rendering ---------------------------------------------------------------------------

  isMine(message) {
    return Boolean(message.from && !message.from.is_bot && message.from.id === this.actor.id);
  }

  senderName(from) {
    if (!from) return "";
    if (from.is_bot && app.view && from.id === app.view.bot.id) return app.view.bot.name;
    return [from.first_name, from.last_name].filter(Boolean).join(" ");
  }

  renderMessage(message) {
    const mine = this.isMine(message);
    const bubble = el("div", { class: "bubble" });
    if (this.chat.kind !== "private" && !mine && message.from) {
      bubble.append(el("div", {
        class: "sender", style: { color: colorFor(message.from.id) }, text: this.senderName(message.from),
      }));
    }
    const quoted = message.reply_to_message;
    if (quoted) {
      const quotedText = quoted.text || quoted.caption || (quoted.photo ? "Photo" : "Message");
      bubble.append(el("div", { class: "quote", dir: "auto" },
        el("strong", { text: this.senderName(quoted.from) }), el("span", { text: quotedText })));
    }
    this.renderMedia(message, bubble);
    const text = message.text ?? message.caption;
    const entities = message.text !== undefined ? message.entities : message.caption_entities;
    if (text) bubble.append(richText(text, entities, this));
    bubble.append(el("span", { class: "meta" },
      message.edit_date ? el("span", { class: "edited", text: "edited" }) : null,
      el("time", { text: clock(message.date) })));
    const node = el("li", {
      class: `msg ${mine ? "out" : "in"}${message.from && message.from.is_bot ? " from-bot" : ""}`,
      "data-id": message.message_id,
    }, bubble);
    const rows = message.reply_markup && message.reply_markup.inline_keyboard;
    if (Array.isArray(rows) && rows.length) {
      node.classList.add("with-keyboard");
      node.append(this.renderInline(message, rows));
    }
    return node;
  }

  renderMedia(message, bubble) {
    if (Array.isArray(message.photo) && message.photo.length) {
      const largest = message.photo[message.photo.length - 1];
      const img = el("img", { src: fileUrl(largest.file_id), alt: "Photo", loading: "lazy" });
      img.addEventListener("load", () => { if (this.nearBottom()) this.toBottom(); });
      bubble.append(el("a", { class: "photo", href: fileUrl(largest.file_id), target: "_blank", rel: "noopener" }, img));
    } else if (message.document) {
      const doc = message.document;
      bubble.append(el("a", {
        class: "document", href: fileUrl(doc.file_id), download: doc.file_name || "file",
      }, el("span", { class: "doc-icon" }, icon(ICON_FILE)),
      el("span", { class: "doc-names" },
        el("span", { class: "doc-name", dir: "auto", text: doc.file_name || "File" }),
        el("span", { class: "doc-size", text: fileSize(doc.file_size) }))));
    } else if (message.location) {
      const { latitude, longitude } = message.location;
      bubble.append(el("div", { class: "text", text: `📍 Location ${latitude.toFixed(5)}, ${longitude.toFixed(5)}` }));
    } else if (message.contact) {
      const c = message.contact;
      bubble.append(el("div", { class: "text", dir: "auto", text: `👤 ${c.first_name || ""} ${c.phone_number || ""}` }));
    } else if (message.sticker) {
      bubble.append(el("div", { class: "sticker", text: message.sticker.emoji || "🖼" }));
    } else if (message.voice || message.audio || message.video) {
      bubble.append(el("div", { class: "text", text: message.voice ? "🎤 Voice message" : "🎞 Media" }));
    }
  }

  renderInline(message, rows) {
    const keyboard = el("div", { class: "inline-keyboard", role: "group", "aria-label": "Buttons" });
    for (const row of rows) {
      const line = el("div", { class: "kb-row" });
      for (const button of row) {
        const node = el("button", { type: "button", class: "kb-button", dir: "auto", text: button.text });
        if (button.url) node.classList.add("link");
        node.addEventListener("click", () => this.press(message, button, node));
        line.append(node);
      }
      keyboard.append(line);
    }
    return keyboard;
  }

  // -- reply keyboards (read from the transcript: the Message object carries inline ones only) --

  scheduleKeyboard() {
    clearTimeout(this.keyboardTimer);
    this.keyboardTimer = setTimeout(() => this.refreshKeyboard(), 150);
  }

  async refreshKeyboard() {
    let transcript;
    try {
      transcript = await api(`/_standin/chats/${this.chat.id}/transcript`);
    } catch {
      return;
    }
    let current = null;
    for (const m of transcript) {
      const markup = m.from_bot && m.reply_markup;
      if (!markup) continue;
      if (Array.isArray(markup.keyboard)) current = { id: m.message_id, markup };
      else if (markup.remove_keyboard) current = null;
    }
    this.renderReplyKeyboard(current);
  }

  renderReplyKeyboard(current) {
    this.keyboard = current;
    const box = this.replyKeyboard;
    box.replaceChildren();
    if (!current || this.keyboardDismissed === current.id) {
      box.hidden = true;
      this.textarea.placeholder = "Message";
      return;
    }
    const { markup } = current;
    this.textarea.placeholder = markup.input_field_placeholder || "Message";
    for (const row of markup.keyboard) {
      const line = el("div", { class: "kb-row" });
      for (const raw of row) {
        const button = typeof raw === "string" ? { text: raw } : raw;
        line.append(el("button", {
          type: "button", class: "kb-button reply", dir: "auto", text: button.text,
          onclick: () => this.pressReply(button, current),
        }));
      }
      box.append(line);
    }
    box.hidden = false;
  }

  async pressReply(button, current) {
    if (current.markup.one_time_keyboard) {
      this.keyboardDismissed = current.id;
      this.renderReplyKeyboard(current);
    }
    const base = `/_standin/chats/${this.chat.id}`;
    try {
      if (button.request_contact) {
        await api(`${base}/contacts`, {
          method: "POST",
          body: { user_id: this.actor.id, phone_number: "+7 700 000 00 00", first_name: this.actor.first_name },
        });
      } else if (button.request_location) {
        await api(`${base}/locations`, {
          method: "POST", body: { user_id: this.actor.id, latitude: 43.2389, longitude: 76.8897 },
        });
      } else {
        await this.sendText(button.text);
      }
    } catch (error) {
      this.pane.toast(`Not sent: ${error.message}`);
    }
  }

  // -- acting --------------------------------------------------------------------------------

  async sendText(text) {
    try {
      await api(`/_standin/chats/${this.chat.id}/messages`, {
        method: "POST", body: { user_id: this.actor.id, text },
      });
      return true;
    } catch (error) {
      this.pane.toast(`Not sent: ${error.message}`);
      return false;
    }
  }

  async submit() {
    const text = this.textarea.value.trim();
    if (!text) return;
    this.textarea.value = "";
    this.fit();
    if (!(await this.sendText(text))) {
      this.textarea.value = text;
      this.fit();
    }
    this.textarea.focus();
  }

  async upload() {
    const file = this.fileInput.files && this.fileInput.files[0];
    this.fileInput.value = "";
    if (!file) return;
    if (file.size > MAX_UPLOAD) {
      this.pane.toast("Files up to 50 MB only.");
      return;
    }
    const caption = this.textarea.value.trim() || undefined;
    const asPhoto = PHOTO_TYPES.test(file.type);
    this.pane.toast(`Sending ${file.name}…`);
    try {
      const body = {
        user_id: this.actor.id,
        data_base64: await readBase64(file),
        file_name: file.name,
        mime_type: file.type || "application/octet-stream",
        caption,
      };
      await api(`/_standin/chats/${this.chat.id}/${asPhoto ? "photos" : "documents"}`, { method: "POST", body });
      if (caption) {
        this.textarea.value = "";
        this.fit();
      }
    } catch (error) {
      this.pane.toast(`Not sent: ${error.message}`);
    }
  }

  async press(message, button, node) {
    if (button.url) {
      const href = safeUrl(button.url);
      if (href) window.open(href, "_blank", "noopener,noreferrer");
      return;
    }
    if (button.copy_text) {
      await navigator.clipboard?.writeText(button.copy_text.text).catch(() => {});
      this.pane.toast("Copied.");
      return;
    }
    if (button.callback_data === undefined) {
      this.pane.toast("This kind of button does nothing in the sandbox.");
      return;
    }
    if (node.classList.contains("pending")) return;
    node.classList.add("pending");
    node.setAttribute("aria-busy", "true");
    setTimeout(() => this.unpend(node), PRESS_TIMEOUT_MS);
    try {
      await api(`/_standin/chats/${this.chat.id}/press`, {
        method: "POST",
        body: { user_id: this.actor.id, message_id: message.message_id, data: button.callback_data },
      });
    } catch (error) {
      this.unpend(node);
      this.pane.toast(`Not pressed: ${error.message}`);
    }
  }

  unpend(node) {
    node.classList.remove("pending");
    node.removeAttribute("aria-busy");
  }
}

// -- one person: their chats, tabs between them, toasts ----------------------------------------

class Pane {
  constructor(config) {
    this.role = config.role;
    this.label = config.label;
    this.person = config.person;
    this.toastTimer = null;
    this.tabs = el("div", { class: "chat-tabs", role: "tablist", "aria-label": `${config.label}'s chats` });
    this.toastBox = el("div", { class: "toast", role: "status", "aria-live": "polite", hidden: true });
    this.body = el("div", { class: "pane-body" }, this.toastBox);
    this.views = config.chats.map((chat) => new ChatView(this, chat));
    this.tabButtons = new Map();
    for (const view of this.views) {
      const count = el("span", { class: "badge", hidden: true });
      const button = el("button", {
        type: "button", role: "tab", class: "chat-tab", "data-chat-id": view.chat.id,
        onclick: () => this.show(view),
      }, el("span", { text: view.chat.tab || view.chat.title }), count);
      this.tabButtons.set(view, { button, count });
      this.tabs.append(button);
      this.body.append(view.root);
    }
    this.tabs.hidden = this.views.length < 2;
    this.root = el("article", { class: "pane", "data-role": this.role, "aria-label": `${config.label}: ${this.person.first_name}` },
      el("header", { class: "pane-head" },
        el("div", { class: "person" },
          el("span", { class: "person-avatar", style: { background: colorFor(this.person.id) }, "aria-hidden": "true",
            text: initials(this.person.first_name) }),
          el("span", { class: "person-names" },
            el("span", { class: "role", text: config.label }),
            el("span", { class: "person-name", text: this.role === "reporter" ? `${this.person.first_name} (you)` : this.person.first_name }))),
        el("p", { class: "about", text: config.about })),
      this.tabs,
      this.body);
    this.show(this.views[0]);
  }

  show(view) {
    this.activeChat = view;
    for (const [candidate, { button }] of this.tabButtons) {
      const active = candidate === view;
      candidate.root.hidden = !active;
      button.setAttribute("aria-selected", String(active));
    }
    this.seen();
    requestAnimationFrame(() => view.toBottom());
  }

  seen() {
    if (this.activeChat && this.activeChat.visible) this.activeChat.unread = 0;
    this.updateBadges();
  }

  updateBadges() {
    for (const [view, { count }] of this.tabButtons) {
      count.hidden = view.unread === 0;
      count.textContent = String(view.unread);
    }
    renderRoleBadges();
  }

  get unread() {
    return this.views.reduce((sum, view) => sum + view.unread, 0);
  }

  toast(text) {
    clearTimeout(this.toastTimer);
    this.toastBox.textContent = text;
    this.toastBox.hidden = false;
    this.toastTimer = setTimeout(() => { this.toastBox.hidden = true; }, 3500);
  }
}

// -- the page ------------------------------------------------------------------------------------

function renderRoleBadges() {
  for (const tab of document.querySelectorAll(".role-tab")) {
    const pane = app.panes.find((p) => p.role === tab.dataset.for);
    const badge = tab.querySelector(".badge");
    if (!pane || !badge) continue;
    badge.hidden = pane.unread === 0;
    badge.textContent = String(pane.unread);
  }
}

function showRole(role) {
  app.activeRole = role;
  for (const pane of app.panes) pane.root.classList.toggle("active", pane.role === role);
  for (const tab of document.querySelectorAll(".role-tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.for === role));
  }
  for (const pane of app.panes) pane.seen();
  const shown = app.panes.find((p) => p.role === role);
  if (shown) requestAnimationFrame(() => shown.activeChat.toBottom());
}

function connect(chatIds) {
  if (app.source) app.source.close();
  const query = chatIds.map((id) => `chat_id=${encodeURIComponent(id)}`).join("&");
  const source = new EventSource(`/_standin/events/stream?${query}`);
  const dispatch = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const pane of app.panes) {
      for (const view of pane.views) {
        if (view.chat.id === event.chat_id) view.apply(event);
      }
    }
  };
  for (const kind of EVENT_KINDS) source.addEventListener(kind, dispatch);
  source.addEventListener("open", () => setStatus(""));
  source.addEventListener("error", () => {
    setStatus("Connection lost: is the sandbox still running? Retrying…");
    // The browser retries a dropped stream by itself, but not one the server refused (a sandbox
    // started anew has forgotten this session): then start over with a new session.
    if (source.readyState === EventSource.CLOSED && app.source === source) setTimeout(recover, 2000);
  });
  app.source = source;
}

async function recover() {
  try {
    render(await api(`/sandbox/session?language=${encodeURIComponent(language())}`));
  } catch {
    setTimeout(recover, 3000);
  }
}

function render(view) {
  app.view = view;
  app.loadedAt = Date.now() / 1000;
  app.panes = view.panes.map((config) => new Pane(config));
  const panes = document.getElementById("panes");
  panes.replaceChildren(...app.panes.map((pane) => pane.root));
  const tabs = document.getElementById("role-tabs");
  tabs.replaceChildren(...app.panes.map((pane) => el("button", {
    type: "button", role: "tab", class: "role-tab", "data-for": pane.role, onclick: () => showRole(pane.role),
  }, el("span", { text: pane.label }), el("span", { class: "badge", hidden: true }))));
  showRole(app.panes.some((p) => p.role === app.activeRole) ? app.activeRole : app.panes[0].role);
  const ids = [...new Set(view.panes.flatMap((p) => p.chats.map((c) => c.id)))];
  connect(ids);
  document.body.dataset.ready = "true";
}

function language() {
  return (navigator.language || "en").slice(0, 2).toLowerCase();
}

async function boot() {
  document.getElementById("alert-ok").addEventListener("click", () => document.getElementById("alert").close());
  document.getElementById("new-reporter").addEventListener("click", async () => {
    try {
      render(await api("/sandbox/session", { method: "POST", body: { language: language() } }));
    } catch (error) {
      setStatus(`Could not start a new reporter: ${error.message}`);
    }
  });
  NARROW.addEventListener("change", () => showRole(app.activeRole));
  try {
    render(await api(`/sandbox/session?language=${encodeURIComponent(language())}`));
  } catch (error) {
    document.getElementById("panes").replaceChildren(
      el("p", { class: "loading", text: `Cannot reach the sandbox (${error.message}). Is it still running?` }));
  }
}

boot();
