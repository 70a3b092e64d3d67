import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api.js";

export const ApiContext = createContext<Api | null>(null);

/** The signed-in user's API client (pages render only once someone signed in). */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi() outside the signed-in monitor");
  return api;
}
