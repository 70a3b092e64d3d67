// Reached through src/vendor so that `npm run build` can load it as one file (see kysely.ts).
export * from "zod";
