// A worker thread that unpacks one project archive (project-unpack.ts, unpackOffThread), so that creating its
// hundreds of files blocks neither the pilot nor, for pilots in the `pando run` process, the embedded server
// starting beside them.
import { parentPort, workerData } from "node:worker_threads";
import { ProjectUnpackError, unpackProject, type UnpackRequest } from "./project-unpack.js";

const { archive, hash, into, limits, fileStores } = workerData as UnpackRequest;
unpackProject(archive, hash, into, limits, fileStores).then(
  () => parentPort!.postMessage({ ok: true }),
  (err: unknown) =>
    parentPort!.postMessage({
      ok: false,
      refused: err instanceof ProjectUnpackError,
      message: err instanceof Error ? err.message : String(err),
      code: (err as NodeJS.ErrnoException).code,
    }),
);
