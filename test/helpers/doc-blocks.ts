// The code blocks of the docs users read (README.md and docs/*.md), for the tests that hold the
// docs to the code: the GraphQL they show, the values they name, the shell examples they give.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../../src/db/migrate.js";

/** README.md and every docs/*.md, relative to the project's root. */
export const docFiles = ["README.md", ...readdirSync(path.join(projectRoot, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f))];

/** The languages of shell examples; an example in any of these fences is run by the suite. */
export const SHELL_LANGUAGES = ["sh", "bash", "shell", "console"];

/**
 * What an HTML comment on the line before a shell block says about running it:
 * `<!-- not run: <why> -->` (the suite does not run it, and lists it with its reason) or
 * `<!-- runs until Ctrl-C -->` (a command that streams until stopped; the suite stops it as a
 * person would, with SIGINT, once it has printed something), or, before a graphql block of
 * docs/api.md, `<!-- runs -->` (test/api/doc-examples.test.ts runs it against a gateway).
 */
export type RunMarker = { kind: "not run"; reason: string } | { kind: "until interrupted" } | { kind: "runs" };

export type CodeBlock = {
  file: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** The fence's language, "" for none. */
  language: string;
  source: string;
  marker?: RunMarker;
};

const MARKER = /<!--\s*(not run:\s*([\s\S]*?)|runs until Ctrl-C|runs)\s*-->\s*$/;

function markerBefore(lines: string[], fenceIndex: number, file: string): RunMarker | undefined {
  const before = lines[fenceIndex - 1] ?? "";
  if (!before.includes("<!--")) return undefined;
  const match = MARKER.exec(before);
  if (!match) throw new Error(`${file}:${fenceIndex}: a comment before a code block must be "<!-- not run: <why> -->", "<!-- runs until Ctrl-C -->" or "<!-- runs -->"`);
  if (match[1] === "runs until Ctrl-C") return { kind: "until interrupted" };
  if (match[1] === "runs") return { kind: "runs" };
  const reason = match[2]!.trim();
  if (!reason) throw new Error(`${file}:${fenceIndex}: "not run" needs a reason`);
  return { kind: "not run", reason };
}

/** Every fenced code block of a doc, in order. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(path.join(projectRoot, file), "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const end = lines.findIndex((l, j) => j > i && /^\s*```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: a code block is not closed`);
    const marker = markerBefore(lines, i, file);
    const source = lines
      .slice(i + 1, end)
      .map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
      .join("\n");
    blocks.push({ file, line: i + 1, language: open[2]!, source: `${source}\n`, ...(marker ? { marker } : {}) });
    i = end;
  }
  return blocks;
}

export function allCodeBlocks(): CodeBlock[] {
  return docFiles.flatMap(codeBlocks);
}

export function isShell(block: CodeBlock): boolean {
  return SHELL_LANGUAGES.includes(block.language);
}

/** The prose of a doc: its text without the code blocks. */
export function prose(file: string): string {
  return readFileSync(path.join(projectRoot, file), "utf8").replace(/^\s*```[\s\S]*?^\s*```\s*$/gm, "");
}

/** The shell variables an example sets at the start of a line (`TOKEN=$(...)`, `export A=... B=...`). */
export function assigned(source: string): string[] {
  const names = new Set<string>();
  for (const line of source.split("\n")) {
    const exported = /^\s*export\s+(.*)$/.exec(line);
    if (exported) for (const m of exported[1]!.matchAll(/(?:^|\s)([A-Za-z_]\w*)=/g)) names.add(m[1]!);
    // A plain assignment, not one that only prefixes a command (`A=1 command`).
    const plain = /^\s*([A-Za-z_]\w*)=\S*(\s*$|\$\()/.exec(line);
    if (plain) names.add(plain[1]!);
  }
  return [...names];
}
