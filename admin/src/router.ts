// Client-side routes under /admin: links change the history entry and re-render, no reload.
import { h } from "./dom";

export const BASE = "/admin";
let render: () => Promise<void> = async () => undefined;

export function setRenderer(renderer: () => Promise<void>): void {
  render = renderer;
}

export function navigate(path: string, replaceState = false): void {
  const url = `${BASE}/${path}`;
  if (replaceState) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  void render();
}

export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : "";
  return path.replace(/^\/+|\/+$/g, "");
}

/** A same-origin link that changes the route without reloading the page. */
export function link(path: string, label: string, attrs: Record<string, string> = {}): HTMLAnchorElement {
  return h(
    "a",
    {
      ...attrs,
      href: `${BASE}/${path}`,
      onclick: (event: Event) => {
        const mouse = event as MouseEvent;
        if (mouse.ctrlKey || mouse.metaKey || mouse.shiftKey || mouse.button !== 0) return;
        event.preventDefault();
        navigate(path);
      },
    },
    label,
  );
}
