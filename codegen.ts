// Typed documents for the API tests, generated from the committed schema and the operations
// written in test/**/*.ts with the `graphql()` function of test/gql.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "schema.graphql",
  documents: ["test/**/*.ts", "!test/gql/**"],
  ignoreNoDocuments: true,
  generates: {
    "test/gql/": {
      preset: "client",
      config: {
        scalars: { DateTime: "string", JSON: "unknown", Long: "number" },
        enumsAsTypes: true,
        useTypeImports: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
  // The project is ESM with NodeNext resolution: relative imports need their extension.
  importExtension: ".js",
  silent: true,
};

export default config;
