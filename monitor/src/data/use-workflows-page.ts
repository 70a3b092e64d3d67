// The data of the workflows page: the filters as typed, the page of the listing they select, followed live.
import { useState } from "preact/hooks";
import { useApi } from "../context.js";
import { useCursorPages, useDebounced, useLive, useResource } from "../hooks.js";
import { isFiltered, workflowsQuery, type WorkflowFilters } from "./derive.js";

const PAGE_SIZE = 25;

export function useWorkflowsPage() {
  const api = useApi();
  const [status, setStatus] = useState("");
  const [name, setName] = useState("");
  const [user, setUser] = useState("");
  // Typing settles before a request goes out; a chosen status applies at once.
  const filters: WorkflowFilters = { status, name: useDebounced(name.trim(), 300), user: useDebounced(user.trim(), 300) };
  const query = workflowsQuery(filters, PAGE_SIZE);
  const pages = useCursorPages(JSON.stringify(query));
  const pageQuery = { ...query, cursor: pages.cursor };
  const listing = useResource((signal) => api.listWorkflows({ query: pageQuery }, { signal }), [JSON.stringify(pageQuery)]);
  const live = useLive("", listing.reload);
  return { typed: { status, name, user }, setStatus, setName, setUser, filtered: isFiltered(filters), pages, listing, live };
}
