// Typed documents and the trusted-documents manifest, from the gateway's schema and the documents
// written in src/ with graphql(). src/gql/persisted-documents.json is what the gateway's
// JOBGRAPH_TRUSTED_DOCUMENTS names; each document object carries its hash (`__meta__.hash`),
// which the client sends instead of the text.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**"],
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
};

export default config;
