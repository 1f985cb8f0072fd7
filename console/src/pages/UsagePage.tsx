import { Group, Stack, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";

import { unwrap } from "../api/client";
import { useApi } from "../api/context";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";
import { UsageTable } from "../components/UsageTable";
import { useApiKey } from "../lib/apiKey";
import { stackByDay } from "../lib/usageChart";

const PALETTE = ["#228be6", "#40c057", "#fab005", "#fa5252", "#7950f2", "#15aabf", "#fd7e14", "#868e96", "#e64980"];

/** This key's requests per day and task (last 30 days) as a stacked bar chart, and the table behind it. */
export function UsagePage() {
  const { client } = useApi();
  const key = useApiKey();
  const usage = useQuery({
    queryKey: ["usage", key, "30d"],
    enabled: Boolean(key),
    queryFn: async () => unwrap(await client.GET("/v1/usage")),
  });
  const rows = usage.data?.days ?? [];
  const { bars, tasks, max } = stackByDay(rows);
  const color = (task: string) => PALETTE[tasks.indexOf(task) % PALETTE.length] ?? "#868e96";
  const barWidth = 36;
  const height = 200;
  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Usage</Title>
        {usage.error ? <ApiErrorAlert error={usage.error} /> : null}
        {usage.data ? (
          <Text size="sm">
            Key {usage.data.keyPrefix}, {usage.data.since} to {usage.data.until}
          </Text>
        ) : null}
        <svg
          role="img"
          aria-label="Requests per day and task"
          width={Math.max(300, bars.length * (barWidth + 12) + 40)}
          height={height + 40}
          data-testid="usage-chart"
        >
          {bars.map((bar, i) => (
            <g key={bar.day} transform={`translate(${30 + i * (barWidth + 12)},0)`}>
              {bar.segments.map((s) => (
                <rect
                  key={s.task}
                  x={0}
                  y={height - ((s.offset + s.value) / max) * height}
                  width={barWidth}
                  height={(s.value / max) * height}
                  fill={color(s.task)}
                  data-testid="usage-bar"
                >
                  <title>{`${bar.day} ${s.task}: ${s.value} requests`}</title>
                </rect>
              ))}
              <text x={barWidth / 2} y={height + 14} fontSize={10} textAnchor="middle">
                {bar.day.slice(5)}
              </text>
            </g>
          ))}
          <line x1={28} x2={28} y1={0} y2={height} stroke="#868e96" />
          <text x={24} y={10} fontSize={10} textAnchor="end">
            {max}
          </text>
        </svg>
        <Group gap="md" role="group" aria-label="Legend">
          {tasks.map((task) => (
            <Group key={task} gap={4}>
              <svg width={12} height={12} aria-hidden="true">
                <rect width={12} height={12} fill={color(task)} />
              </svg>
              <Text size="sm">{task}</Text>
            </Group>
          ))}
        </Group>
        <UsageTable rows={rows} label="Usage per day and task" withDay rowTestId="usage-row" />
        <ExchangePanel prefixes={["/v1/usage"]} />
      </Stack>
    </NeedsKey>
  );
}
