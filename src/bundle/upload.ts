import type { PandoClient } from "../sdk/client.js";
import type { Bundle } from "./bundler.js";

/** Puts a bundle (and its environment) in the server's code cache unless there already (once per hash). */
export async function uploadBundle(client: PandoClient, bundle: Bundle): Promise<void> {
  // The environment a bundle names goes first: a pilot that sees the bundle can always fetch it.
  const env = bundle.environment;
  if (env && !(await client.hasBundle(env.hash))) await client.putBundle(env.hash, env.content);
  if (await client.hasBundle(bundle.hash)) return;
  await client.putBundle(bundle.hash, bundle.code);
}
