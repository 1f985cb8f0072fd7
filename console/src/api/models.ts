import { useQuery } from "@tanstack/react-query";

import { useApiKey } from "../lib/apiKey";
import { unwrap, type Schemas } from "./client";
import { useApi } from "./context";

/** GET /v1/models, cached: languages, pairs and voices for every page's pickers. */
export function useModels() {
  const { client } = useApi();
  const key = useApiKey();
  return useQuery({
    queryKey: ["models", key],
    enabled: Boolean(key),
    staleTime: 5 * 60_000,
    queryFn: async () => unwrap(await client.GET("/v1/models")).models,
  });
}

export function languagesOf(models: Schemas["ModelInfo"][] | undefined, task: string): string[] {
  const set = new Set<string>();
  models?.filter((m) => m.task === task).forEach((m) => m.languages?.forEach((l) => set.add(l)));
  return [...set].sort();
}

export function pairsOf(models: Schemas["ModelInfo"][] | undefined, task: string): string[] {
  const set = new Set<string>();
  models?.filter((m) => m.task === task).forEach((m) => m.languagePairs?.forEach((p) => set.add(p)));
  return [...set].sort();
}

export function voicesOf(models: Schemas["ModelInfo"][] | undefined, task: string): string[] {
  const set = new Set<string>();
  models?.filter((m) => m.task === task).forEach((m) => m.voices?.forEach((v) => set.add(v)));
  return [...set].sort();
}
