// The conversation's tags in the thread header: chips with a remove button and a small field to
// add one (Enter or comma). Each change sends the whole list (PUT /api/conversations/{id}/tags);
// the header follows the `tags_changed` event that comes back, so every agent's view agrees.

import { api } from "./api.js";
import { h } from "./dom.js";
import { toast } from "./toast.js";

export class TagEditor {
  /** @param host element to fill; @param opts { token } */
  constructor(host, { token }) {
    this.token = token;
    this.conversationId = null;
    this.tags = [];
    this.list = h("ul", { class: "tag-editor__list", "aria-label": "Tags" });
    this.input = h("input", { class: "tag-editor__input", type: "text", maxlength: "32", placeholder: "Add tag", "aria-label": "Add a tag", "data-testid": "tag-input" });
    this.el = h("div", { class: "tag-editor", hidden: true }, this.list, this.input);
    // A later sign-in builds a new editor: the old one goes with its listeners.
    host.querySelector(":scope > .tag-editor")?.remove();
    host.append(this.el);
    this.input.addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === ",") && this.input.value.trim()) {
        e.preventDefault();
        this.#save([...this.tags, this.input.value.trim()]);
      } else if (e.key === "Backspace" && !this.input.value && this.tags.length) {
        this.#save(this.tags.slice(0, -1));
      }
    });
  }

  /** The conversation on screen (or null) and whether this agent may change its tags. */
  show(model, { editable }) {
    this.conversationId = model?.conversationId ?? null;
    this.el.hidden = !model || (!editable && !model.tags?.length);
    this.input.hidden = !editable;
    this.editable = editable;
    const tags = model?.tags ?? [];
    if (tags.join("\u0000") === this.tags.join("\u0000") && this.list.childElementCount === tags.length) return;
    this.tags = [...tags];
    this.list.replaceChildren(
      ...this.tags.map((t) =>
        h(
          "li",
          { class: "tag tag-editor__tag", "data-testid": "thread-tag" },
          t,
          editable ? h("button", { type: "button", class: "tag-editor__remove", "aria-label": `Remove tag ${t}`, text: "×", on: { click: () => this.#save(this.tags.filter((x) => x !== t)) } }) : null,
        ),
      ),
    );
  }

  async #save(tags) {
    const id = this.conversationId;
    if (!id) return;
    this.input.disabled = true;
    try {
      await api(`/api/conversations/${encodeURIComponent(id)}/tags`, { method: "PUT", token: this.token, body: { tags } });
      this.input.value = "";
    } catch (err) {
      toast(err.message || "The tags couldn't be saved.", { tone: "error" });
    } finally {
      this.input.disabled = false;
      if (this.conversationId === id) this.input.focus();
    }
  }
}
