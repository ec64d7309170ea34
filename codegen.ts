// Typed documents, generated from the committed schema: for the API tests (test/gql, from the
// operations written in test/**/*.ts) and for the SDK and the CLI (src/sdk/gql, committed, from the
// operations in src/sdk and src/cli).
import type { CodegenConfig } from "@graphql-codegen/cli";

const client = {
  preset: "client",
  config: {
    scalars: { DateTime: "string", JSON: "unknown", Long: "number", File: "unknown" },
    enumsAsTypes: true,
    useTypeImports: true,
  },
  presetConfig: { fragmentMasking: false },
} as const;

const config: CodegenConfig = {
  schema: "schema.graphql",
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": { ...client, documents: ["test/**/*.ts", "!test/gql/**"] },
    "src/sdk/gql/": { ...client, documents: ["src/sdk/**/*.ts", "src/cli/**/*.ts", "!src/sdk/gql/**"] },
  },
  // The project is ESM with NodeNext resolution: relative imports need their extension.
  importExtension: ".js",
  silent: true,
};

export default config;
