import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { asApiError, type ApiError, type LiveState } from "./api.js";
import { useApi } from "./context.js";

export interface Resource<T> {
  data: T | undefined;
  /** The last load's error; the data of an earlier load stays shown beside it. */
  error: ApiError | undefined;
  loading: boolean;
  /** Loads again, keeping what is shown meanwhile; calls during a load make one more load after it. */
  reload(): void;
}

/** Data from the API, loaded when `deps` change and again on reload(). */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const reloader = useRef<() => void>(() => undefined);

  useEffect(() => {
    const controller = new AbortController();
    let running = false;
    let again = false;
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        try {
          const data = await latestLoad.current(controller.signal);
          if (controller.signal.aborted) return;
          setState({ data, loading: false });
        } catch (err) {
          if (controller.signal.aborted) return;
          setState((s) => ({ data: s.data, error: asApiError(err), loading: false }));
        }
      } while (again);
      running = false;
    };
    reloader.current = () => void run();
    setState({ loading: true });
    void run();
    return () => controller.abort();
  }, deps);

  const reload = useCallback(() => reloader.current(), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Follows the server's change events for a page (`query`: "", "?workflow=1" or "?task=2"); null: none. */
export function useLive(query: string | null, onChange: () => void): LiveState {
  const api = useApi();
  const [state, setState] = useState<LiveState>("connecting");
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    if (query === null) {
      setState("off");
      return undefined;
    }
    return api.watch(query, () => latest.current(), setState);
  }, [api, query]);
  return state;
}

/** A value that follows `value` once it has stopped changing for `ms` (typing in a filter box). */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * Cursor paging of a listing: the cursors of the pages seen so far (the first is undefined), starting over
 * whenever `key` (the filters) changes.
 */
export function useCursorPages(key: string): { cursor: number | undefined; page: number; older(next: number): void; newer(): void } {
  const [pages, setPages] = useState<{ key: string; cursors: Array<number | undefined> }>({ key, cursors: [undefined] });
  const cursors = pages.key === key ? pages.cursors : [undefined];
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    older: (next) => setPages({ key, cursors: [...cursors, next] }),
    newer: () => setPages({ key, cursors: cursors.length > 1 ? cursors.slice(0, -1) : cursors }),
  };
}

/**
 * Calls `reload` when `value` changes after it was first known: data that follows a count (finished jobs) is
 * loaded again in place, keeping what is shown, rather than cleared and loaded anew at each change.
 */
export function useReloadOn(value: unknown, reload: () => void): void {
  const seen = useRef<unknown>(undefined);
  useEffect(() => {
    if (value === undefined) return;
    if (seen.current !== undefined && seen.current !== value) reload();
    seen.current = value;
  }, [value]);
}
