// Submits estimatePi to a running Pando server and waits for its result. In this remote mode the driver
// runs on a pilot too, so the workflow goes on if this program stops; the server comes from the environment:
//   PANDO_SERVER=http://127.0.0.1:8720 PANDO_TOKEN=<token> npx tsx src/submit.ts [jobs] [points]
// The module that defines the workflow (pi.ts) is what is bundled and sent to the pilots: keep submit()
// calls out of it.
import { estimatePi } from "./pi.js";

const [jobs = 8, points = 1_000_000] = process.argv.slice(2).map(Number);
const handle = await estimatePi.submit(jobs, points);
console.error(`workflow ${handle.id}: ${handle.monitorUrl}`);
console.log(JSON.stringify(await handle.result()));
