// An in-page confirmation (a modal <dialog>, not window.confirm): it keeps the page's look, is
// announced as a dialog with its title and text, traps focus, and Escape or Cancel says no.
// Focus goes back to the button that asked.

import { h } from "./dom.js";

let seq = 0;

/**
 * Asks; resolves true for the confirm button, false for Cancel, Escape or a click outside.
 * @param opts { title, text, confirmLabel, cancelLabel, returnFocus, testid }
 */
export function confirmDialog({ title, text, confirmLabel = "OK", cancelLabel = "Cancel", returnFocus = null, testid = "confirm" }) {
  const id = `confirm-${++seq}`;
  const cancel = h("button", { type: "button", class: "button button--secondary", "data-testid": `${testid}-cancel`, text: cancelLabel });
  const ok = h("button", { type: "button", class: "button button--primary", "data-testid": `${testid}-ok`, text: confirmLabel });
  const dialog = h(
    "dialog",
    { class: "confirm-dialog", "aria-labelledby": `${id}-title`, "aria-describedby": `${id}-text`, "data-testid": testid },
    h("h2", { class: "confirm-dialog__title", id: `${id}-title`, text: title }),
    h("p", { class: "confirm-dialog__text", id: `${id}-text`, text }),
    h("div", { class: "confirm-dialog__actions" }, cancel, ok),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    const close = (answer) => {
      if (!dialog.open) return;
      dialog.close();
      dialog.remove();
      returnFocus?.focus();
      resolve(answer);
    };
    cancel.addEventListener("click", () => close(false));
    ok.addEventListener("click", () => close(true));
    // Escape: the browser's `cancel` event; we close ourselves so the promise always settles.
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      close(false);
    });
    // A click on the backdrop lands on the <dialog> itself, outside its content box.
    dialog.addEventListener("click", (e) => {
      if (e.target !== dialog) return;
      const r = dialog.getBoundingClientRect();
      const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
      if (!inside) close(false);
    });
    dialog.showModal();
    // Cancel first: a stray Enter must not start over.
    cancel.focus();
  });
}
