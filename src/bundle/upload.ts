import type { PandoClient } from "../sdk/client.js";
import type { Bundle } from "./bundler.js";

/** Puts a bundle in the server's code cache unless it is there already (uploaded once per hash). */
export async function uploadBundle(client: PandoClient, bundle: Bundle): Promise<void> {
  if (await client.hasBundle(bundle.hash)) return;
  await client.putBundle(bundle.hash, bundle.code);
}
