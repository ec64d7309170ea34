// What the commands that take a file (`workflows create`, `schedules create`) read: YAML or JSON,
// with jobs written as a person would, a template by name and inputs and parameters as maps.
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { CliError, EXIT } from "./errors.js";

/** What a YAML or JSON file holds; a file that cannot be read or parsed is a usage error. */
export async function readYamlOrJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.USAGE);
  }
  try {
    // YAML is a superset of JSON: one parser reads both.
    return parseYaml(text);
  } catch (error) {
    throw new CliError(`${file} is neither YAML nor JSON: ${(error as Error).message.split("\n")[0]}`, EXIT.USAGE);
  }
}

/** A value a file gives for an input or parameter: `{name: value}` or `[{name, value, type?}]`. */
function values(given: unknown, where: string): Array<{ name: string; value: unknown; type?: string }> | undefined {
  if (given == null) return undefined;
  if (Array.isArray(given)) return given as Array<{ name: string; value: unknown; type?: string }>;
  if (typeof given === "object") return Object.entries(given).map(([name, value]) => ({ name, value }));
  throw new CliError(`${where}: give a map of name: value, or a list of {name, value}`, EXIT.USAGE);
}

/**
 * A job as a file writes it, as createJob's input takes it: its template by name (`template`, and
 * `templateVersion`), its inputs and parameters as maps; every other field as it is. `where` is
 * the job's path in the file, for the errors.
 */
export function jobInput(job: Record<string, unknown>, where: string): Record<string, unknown> {
  const { template, inputs, parameters, ...rest } = job;
  return {
    ...(template == null ? {} : { templateName: template }),
    ...rest,
    ...(inputs == null ? {} : { inputs: values(inputs, `${where}.inputs`) }),
    ...(parameters == null ? {} : { parameters: values(parameters, `${where}.parameters`) }),
  };
}
