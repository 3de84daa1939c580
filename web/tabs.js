// Accessible tabs: buttons with role="tab" inside a role="tablist" show their `aria-controls` panel
// and hide the others. Arrow keys, Home and End move between tabs (automatic activation).

export function bindTabs(tablist, { onChange } = {}) {
  const tabs = [...tablist.querySelectorAll('[role="tab"]')];
  const panelOf = (tab) => document.getElementById(tab.getAttribute("aria-controls"));

  const select = (tab, { focus = false } = {}) => {
    if (!tab) return;
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = panelOf(t);
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    onChange?.(tab.id);
  };

  for (const tab of tabs) tab.addEventListener("click", () => select(tab));
  tablist.addEventListener("keydown", (e) => {
    const i = tabs.indexOf(document.activeElement);
    if (i < 0) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    select(tabs[(next + tabs.length) % tabs.length], { focus: true });
  });

  return {
    select: (id) => select(tabs.find((t) => t.id === id)),
    get selected() {
      return tabs.find((t) => t.getAttribute("aria-selected") === "true")?.id ?? null;
    },
  };
}
