// ESLint for lib/, scripts/, bench/ and test/: typescript-eslint's recommended rules, and the few
// this codebase holds to on top (no unused code, no floating promises where a result matters).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "build/**", "node_modules/**", "lib/kernels/assembly/**", ".scratch/**", "figures/**", "notebooks/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // a CommonJS project: optional backends, tslab's display hook, JSON data and grid experiment
      // modules named at run time are loaded lazily with require
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  { files: ["**/*.mjs"], languageOptions: { globals: { process: "readonly", console: "readonly" } } },
);
