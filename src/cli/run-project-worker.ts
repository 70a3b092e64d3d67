// The thread that packs a `pando run`'s project and unpacks it for the local pilots (run-project.ts), so that
// neither holds up the run's own thread while it loads and starts the embedded server.
import { parentPort, workerData } from "node:worker_threads";
import { ProjectArchiveError } from "../bundle/project-archive.js";
import { packAndPlace, type ProjectMessage, type ProjectRequest } from "./run-project.js";

const port = parentPort!;
const tell = (message: ProjectMessage) => port.postMessage(message);
packAndPlace(workerData as ProjectRequest, (archive) => tell({ kind: "packed", archive })).then(
  (placed) => tell({ kind: "placed", placed }),
  (err: unknown) => tell({ kind: "pack-failed", message: err instanceof Error ? err.message : String(err), archiveError: err instanceof ProjectArchiveError }),
);
