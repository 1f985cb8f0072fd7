import { Table } from "@mantine/core";

import type { components } from "../api/schema";

type UsageDay = components["schemas"]["UsageDay"];

/** Usage rows (requests, errors, audio seconds, characters per task), with the day column where rows span days. */
export function UsageTable({ rows, label, withDay, rowTestId }: { rows: UsageDay[]; label: string; withDay: boolean; rowTestId: string }) {
  return (
    <Table aria-label={label} withTableBorder>
      <Table.Thead>
        <Table.Tr>
          {withDay ? <Table.Th>Day</Table.Th> : null}
          <Table.Th>Task</Table.Th>
          <Table.Th>Requests</Table.Th>
          <Table.Th>Errors</Table.Th>
          <Table.Th>Audio seconds</Table.Th>
          <Table.Th>Characters</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={`${row.day}-${row.task}`} data-testid={rowTestId}>
            {withDay ? <Table.Td>{row.day}</Table.Td> : null}
            <Table.Td>{row.task}</Table.Td>
            <Table.Td>{row.requests}</Table.Td>
            <Table.Td>{row.errors}</Table.Td>
            <Table.Td>{row.audioSeconds}</Table.Td>
            <Table.Td>{row.characters}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
