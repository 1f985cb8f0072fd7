import { createContext, useContext } from "react";

import type { ConsoleConfig } from "../config";
import type { ApiClient } from "./client";

export interface ApiContextValue {
  config: ConsoleConfig;
  client: ApiClient;
}

export const ApiContext = createContext<ApiContextValue | null>(null);

export function useApi(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) {
    throw new Error("useApi outside ApiContext");
  }
  return value;
}
