// The data of the queues page: the queues and the pilots the server started, a page of the registered pilots
// in the chosen status, followed live.
import { useState } from "preact/hooks";
import { useApi } from "../context.js";
import { useCursorPages, useLive, useResource } from "../hooks.js";
import { pilotsQuery } from "./derive.js";

const PILOTS_PAGE_SIZE = 50;

export function useQueuesPage() {
  const api = useApi();
  const resources = useResource(
    async (signal) => {
      const [queues, workers] = await Promise.all([
        api.listQueues(undefined, { signal }),
        api.listWorkers(undefined, { signal }),
      ]);
      return { queues, workers };
    },
    [],
  );
  const [pilotStatus, setPilotStatus] = useState("");
  const query = pilotsQuery(pilotStatus, PILOTS_PAGE_SIZE);
  const pages = useCursorPages(JSON.stringify(query));
  const pageQuery = { ...query, cursor: pages.cursor };
  const pilots = useResource((signal) => api.listPilots({ query: pageQuery }, { signal }), [JSON.stringify(pageQuery)]);
  // Queue load moves with the jobs of every workflow: the workflows' change events say when.
  const live = useLive("", () => {
    resources.reload();
    pilots.reload();
  });
  return { resources, pilotStatus, setPilotStatus, pages, pilots, live };
}
