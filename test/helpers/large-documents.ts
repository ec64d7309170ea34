// Valid documents close to the body limit that pass every default limit on a document's shape
// (2,000 tokens, 15 aliases, depth 12): their length is in string literals, names, aliases,
// comments and whitespace, which those limits do not count. Each one distinct, as an attacker
// (or a client that builds documents with their values inlined) would send them.

/** Text of `length` characters, distinct for each `seed`. */
function filler(seed: string, length: number): string {
  return (seed + "x".repeat(length)).slice(0, length);
}

/** The shapes, in turn: what each keeps is different (text, syntax tree, validation's copies of names, compiled code). */
const SHAPES: Array<(id: string, length: number) => string> = [
  // A long string literal, which a compiled query copies into its code.
  (id, length) => `query Literal { viewer { name } __type(name: "${filler(id, length)}") { name } }`,
  // Long aliases (compiled code spells out each field's path: too large to compile).
  (id, length) =>
    `query Aliases { ${Array.from({ length: 15 }, (_, i) => `${filler(`a${i}${id}`, Math.floor(length / 15))}: viewer { name kind }`).join(" ")} }`,
  // A long operation name.
  (id, length) => `query ${filler(`N${id}`, length)} { viewer { name } }`,
  // A long comment, and whitespace: text that the syntax tree does not hold.
  (id, length) => `query Comment { viewer { name } }\n# ${filler(id, length / 2)}\n${" ".repeat(length / 2)}`,
];

/** `count` distinct valid documents of about `length` characters each, of every shape in turn. */
export function largeDocuments(count: number, length: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => SHAPES[i % SHAPES.length]!(`${prefix}${i}_`, length));
}
