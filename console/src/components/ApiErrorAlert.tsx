import { Alert, Text } from "@mantine/core";

import { ApiError } from "../api/client";

/** An error as the API gave it: its code and message (and request id); anything else as a plain message. */
export function ApiErrorAlert({ error }: { error: unknown }) {
  if (!error) {
    return null;
  }
  const body =
    error instanceof ApiError
      ? error.body
      : { code: "console.error", message: error instanceof Error ? error.message : String(error), requestId: null };
  return (
    <Alert color="red" title="Request failed" role="alert" data-testid="api-error">
      <Text size="sm">
        <Text span ff="monospace" fw={700} data-testid="api-error-code">
          {body.code}
        </Text>
        {": "}
        <span data-testid="api-error-message">{body.message}</span>
      </Text>
      {body.requestId ? <Text size="xs">request id {body.requestId}</Text> : null}
    </Alert>
  );
}
