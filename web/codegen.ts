// The dashboard's typed documents (src/gql/), and the manifest of them that the gateway trusts
// (src/gql/persisted-documents.json, copied to dist/web/): the dashboard sends every document by
// its hash, as docs/frontends.md tells other frontends to.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**"],
  ignoreNoDocuments: true,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        scalars: { DateTime: "string", JSON: "unknown", Long: "number", File: "unknown" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: "sha256" } },
    },
  },
  importExtension: ".js",
  silent: true,
};

export default config;
