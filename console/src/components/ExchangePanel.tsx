import { Group, Paper, Stack, Text, Title } from "@mantine/core";

import { useExchanges } from "../api/exchanges";
import { JsonBlock } from "./JsonBlock";

/** The newest call of this page: request and response JSON (audio elided), request id, status, latency. */
export function ExchangePanel({ prefixes, title = "Last request" }: { prefixes: string[]; title?: string }) {
  const [latest] = useExchanges(prefixes);
  return (
    <Paper withBorder p="sm" component="section" aria-label="Request and response" data-testid="exchange">
      <Title order={3} size="h5" mb="xs">
        {title}
      </Title>
      {!latest ? (
        <Text c="dimmed" size="sm">
          No request yet.
        </Text>
      ) : (
        <Stack gap="xs">
          <Group gap="xs">
            <Text size="sm" fw={700} ff="monospace" data-testid="exchange-status">
              {latest.status ?? "no answer"}
            </Text>
            <Text size="sm" ff="monospace">
              {latest.method} {latest.path}
            </Text>
          </Group>
          <Group gap="lg">
            <Text size="sm">
              Request id: <span data-testid="exchange-request-id">{latest.requestId ?? "—"}</span>
            </Text>
            <Text size="sm">
              Latency: <span data-testid="exchange-latency">{Math.round(latest.latencyMs)} ms</span>
            </Text>
          </Group>
          <JsonBlock title="Request" value={latest.requestBody} empty="(no body)" testId="exchange-request" maxHeight={240} />
          <JsonBlock title="Response" value={latest.responseBody} testId="exchange-response" maxHeight={320} />
        </Stack>
      )}
    </Paper>
  );
}
