import { fileURLToPath } from "node:url";

/** The root of the installed Pando package (two levels above this file, in src/ or dist/). */
export const PANDO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
