// The dashboard's build: web/ to dist/web/, which the gateway serves at / (src/http/dashboard.ts).
// Asset names carry their content's hash, so the gateway lets browsers keep them for a year.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    assetsDir: "dashboard",
    // Every browser the dashboard supports runs ES2022; nothing is polyfilled.
    target: "es2022",
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  logLevel: "warn",
});
