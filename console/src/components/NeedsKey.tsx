import { Alert, Anchor } from "@mantine/core";
import type { ReactNode } from "react";

import { useApiKey } from "../lib/apiKey";

/** Pages that call the API ask for a key first. */
export function NeedsKey({ children }: { children: ReactNode }) {
  const key = useApiKey();
  if (!key) {
    return (
      <Alert color="yellow" title="No API key" role="status">
        Paste an API key on the <Anchor href="#/key">Key</Anchor> page first.
      </Alert>
    );
  }
  return <>{children}</>;
}
