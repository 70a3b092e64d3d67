import type { Bundle } from "./bundler.js";

/** A server's code cache, as a client reaches it (the SDK's PandoClient is one). */
export interface BundleStore {
  hasBundle(hash: string): Promise<boolean>;
  putBundle(hash: string, content: Uint8Array): Promise<void>;
}

/** Puts a bundle (and its environment) in the server's code cache unless there already (once per hash). */
export async function uploadBundle(client: BundleStore, bundle: Bundle): Promise<void> {
  // The environment a bundle names goes first: a pilot that sees the bundle can always fetch it.
  const env = bundle.environment;
  if (env && !(await client.hasBundle(env.hash))) await client.putBundle(env.hash, env.content);
  if (await client.hasBundle(bundle.hash)) return;
  await client.putBundle(bundle.hash, bundle.code);
}

/** Puts a project archive in the server's code cache unless there already (once per hash, as a bundle). */
export async function uploadProject(client: BundleStore, archive: { hash: string; content: Uint8Array }): Promise<void> {
  if (await client.hasBundle(archive.hash)) return;
  await client.putBundle(archive.hash, archive.content);
}
