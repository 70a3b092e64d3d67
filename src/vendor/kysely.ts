// The packages Pando's server loads most code from are reached through src/vendor: `npm run build` bundles
// each into one file (scripts/build-vendor.mjs), since Node 20 loads an ES module package file by file
// (kysely alone is 280 files) and that cost was the largest part of an embedded run's start. Types are
// imported from the packages themselves.
export * from "kysely";
