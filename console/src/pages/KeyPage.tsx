import { Badge, Button, Group, PasswordInput, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { unwrap } from "../api/client";
import { useApi } from "../api/context";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ExchangePanel } from "../components/ExchangePanel";
import { UsageTable } from "../components/UsageTable";
import { setApiKey, useApiKey } from "../lib/apiKey";

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Paste a key (kept in session storage only); see its scopes, limits and today's usage. */
export function KeyPage() {
  const { client } = useApi();
  const key = useApiKey();
  const [draft, setDraft] = useState("");
  const queryClient = useQueryClient();
  const usage = useQuery({
    queryKey: ["usage", key, "today"],
    enabled: Boolean(key),
    retry: false,
    queryFn: async () =>
      unwrap(await client.GET("/v1/usage", { params: { query: { from: today(), to: today() } } })),
  });

  const save = (event: FormEvent) => {
    event.preventDefault();
    setApiKey(draft);
    setDraft("");
    void queryClient.invalidateQueries();
  };

  const data = usage.data;
  return (
    <Stack>
      <Title order={2}>API key</Title>
      <Text size="sm" c="dimmed">
        The key is kept in this tab&apos;s session storage only: it is sent as the <code>x-api-key</code> header and
        never put in a URL.
      </Text>
      <form onSubmit={save} aria-label="Enter an API key">
        <Group align="end">
          <PasswordInput
            label="API key"
            placeholder="spk_…"
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            style={{ flex: 1 }}
            autoComplete="off"
          />
          <Button type="submit" disabled={!draft.trim()}>
            Use this key
          </Button>
          {key ? (
            <Button variant="default" onClick={() => setApiKey(null)}>
              Forget key
            </Button>
          ) : null}
        </Group>
      </form>
      {usage.error ? <ApiErrorAlert error={usage.error} /> : null}
      {data ? (
        <Stack gap="sm" data-testid="key-details">
          <Group>
            <Text>
              Key <code data-testid="key-prefix">{data.keyPrefix}</code>
            </Text>
          </Group>
          <Group gap="xs" role="group" aria-label="Scopes">
            <Text fw={600}>Scopes:</Text>
            {data.scopes?.map((scope) => (
              <Badge key={scope} variant="light" data-testid="key-scope">
                {scope}
              </Badge>
            ))}
          </Group>
          <Table aria-label="Limits" withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Window</Table.Th>
                <Table.Th>Limit</Table.Th>
                <Table.Th>Used now</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {Object.entries(data.limits).map(([window, limit]) => (
                <Table.Tr key={window} data-testid="key-limit">
                  <Table.Td>{window.replace("per_", "per ")}</Table.Td>
                  <Table.Td>{limit}</Table.Td>
                  <Table.Td>{data.currentWindows[window.replace("per_", "")] ?? data.currentWindows[window] ?? 0}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Title order={3} size="h4">
            Today ({today()})
          </Title>
          {data.days.length === 0 ? (
            <Text size="sm" data-testid="usage-today-empty">
              No calls today yet.
            </Text>
          ) : (
            <UsageTable rows={data.days} label="Today's usage" withDay={false} rowTestId="usage-today-row" />
          )}
        </Stack>
      ) : null}
      <ExchangePanel prefixes={["/v1/usage"]} />
    </Stack>
  );
}
