// The code cache: content-addressed bundles (a driver's code, a project's archive), by their sha256.
import { z } from "../vendor/zod.js";
import { queryNumber } from "./common.js";
import type { Contract } from "./contract.js";

/** The hash is checked by the service, which answers a bad one as `invalid_request`. */
const hashParams = z.object({ hash: z.string() });

export const bundleEndpoints = {
  putBundle: {
    summary: "Upload a code bundle (raw bytes)",
    params: hashParams,
    response: z.object({ hash: z.string(), size: z.number().int() }),
  },
  getBundle: {
    summary: "A bundle's bytes: the caller's own, or (a pilot naming itself) one of the jobs it holds or warms",
    params: hashParams,
    query: z.object({ pilot: queryNumber().positive().optional() }),
    response: z.custom<Uint8Array>((v) => v instanceof Uint8Array),
  },
  hasBundle: { summary: "Has the caller uploaded this bundle (200) or not (404)", params: hashParams, response: z.boolean() },
} satisfies Record<string, Contract>;
