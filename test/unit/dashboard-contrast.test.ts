// The dashboard's colours (web/src/style.css) keep text legible: every text colour against the
// page's background and its panels, in the light scheme and the dark one, at WCAG's 4.5:1 or more.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";

const css = readFileSync(path.join(projectRoot, "web", "src", "style.css"), "utf8");

/** The custom properties of the first block after `marker`. */
function palette(marker: string): Record<string, string> {
  const start = css.indexOf(marker);
  const block = css.slice(css.indexOf("{", css.indexOf(":root", start)), css.indexOf("}", css.indexOf(":root", start)));
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]));
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

const contrast = (a: string, b: string) => {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
};

describe.each([
  ["light", palette(":root")],
  ["dark", palette("prefers-color-scheme: dark")],
])("the %s scheme", (_name, colours) => {
  it.each(["fg", "muted", "accent", "danger", "ok", "warn"])("%s text on the background and on panels: 4.5:1 or more", (text) => {
    expect(Object.keys(colours)).toEqual(expect.arrayContaining(["bg", "panel", text]));
    expect(contrast(colours[text]!, colours.bg!)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(colours[text]!, colours.panel!)).toBeGreaterThanOrEqual(4.5);
  });
});
