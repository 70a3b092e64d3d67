// Reached through src/vendor so that `npm run build` can load it as one file (see kysely.ts): a pilot and a
// remote driver load it before their first request. undici is CommonJS: a bundle re-exports only the names
// listed here (`export *` of CommonJS has no names to bundle).
export { Pool } from "undici";
