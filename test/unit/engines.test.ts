// Which Node.js versions jobgraph supports is said in four places that must agree: package.json's
// `engines`, the README's requirements, the majors CI runs the suite on (.ci/run), and
// @types/node (the API of the lowest supported major). Every dependency must accept the lowest
// version `engines` allows in each supported major: otherwise `npm ci` warns (EBADENGINE) there,
// and the dependency may not work.
import { readFileSync } from "node:fs";
import path from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../../src/db/migrate.js";

const read = (file: string) => readFileSync(path.join(projectRoot, file), "utf8");
const manifest = JSON.parse(read("package.json")) as { engines: { node: string }; devDependencies: Record<string, string> };
const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
const engines = manifest.engines.node;

/** The Node.js majors CI runs the suite on: `fetch_node 22` and the like in .ci/run. */
const ciMajors = [...read(".ci/run").matchAll(/^\w+=\$\(fetch_node (\d+)\)$/gm)].map((m) => Number(m[1]));

/** The lowest version of a major that `engines` allows, among its minors' first releases. */
function lowestAllowed(major: number): string | undefined {
  for (let minor = 0; minor < 100; minor++) if (semver.satisfies(`${major}.${minor}.0`, engines)) return `${major}.${minor}.0`;
  return undefined;
}

describe("the Node.js versions jobgraph supports", () => {
  it("are those CI runs the suite on, Node.js 20 (end of life) not among them", () => {
    expect(ciMajors).toEqual(expect.arrayContaining([22, 24]));
    for (const major of ciMajors) expect(lowestAllowed(major), `Node.js ${major}`).toBeDefined();
    expect(semver.intersects(engines, "<22")).toBe(false);
    expect(semver.satisfies("24.0.0", engines)).toBe(true);
  });

  it("are accepted by every dependency, from the lowest version of each supported major on", () => {
    const refused = ciMajors.flatMap((major) => {
      const lowest = lowestAllowed(major)!;
      return Object.entries(lock.packages)
        .filter(([name, entry]) => name && !Array.isArray(entry.engines) && entry.engines?.node && !semver.satisfies(lowest, entry.engines.node))
        .map(([name, entry]) => `${name.replace(/^.*node_modules\//, "")}@${entry.version} wants ${(entry.engines as { node: string }).node}, not ${lowest}`);
    });
    expect(refused).toEqual([]);
  });

  it("are what the README says", () => {
    const requirement = /Requires Node\.js ([^.]*(?:\.\d+[^.]*)*)\./.exec(read("README.md").replace(/\s+/g, " "));
    expect(requirement, "a sentence 'Requires Node.js ...' in the README").not.toBeNull();
    for (const major of ciMajors) {
      const lowest = semver.parse(lowestAllowed(major))!;
      expect(requirement![1]).toContain(lowest.minor ? `${major}.${lowest.minor}` : String(major));
    }
  });

  it("are typed as the lowest supported major's API", () => {
    expect(semver.minVersion(manifest.devDependencies["@types/node"]!)!.major).toBe(Math.min(...ciMajors));
  });
});
