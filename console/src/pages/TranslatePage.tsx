import { Button, Group, Select, Stack, Table, Textarea, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { unwrap, type Schemas } from "../api/client";
import { useApi } from "../api/context";
import { pairsOf, useModels } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";

type Kind = "translation" | "transliteration";

const TITLES: Record<Kind, string> = { translation: "Translate", transliteration: "Transliterate" };
const DEFAULTS: Record<Kind, { pair: string; text: string }> = {
  translation: { pair: "en-es", text: "Hello my friend.\nThe house is big." },
  transliteration: { pair: "hi-en", text: "नमस्ते\nभारत" },
};

/** Translate or transliterate several lines at once, for a pair the registry serves. */
export function TranslatePage({ kind }: { kind: Kind }) {
  const { client } = useApi();
  const models = useModels();
  const pairs = pairsOf(models.data, kind);
  const [pair, setPair] = useState<string | null>(DEFAULTS[kind].pair);
  const [text, setText] = useState(DEFAULTS[kind].text);

  const run = useMutation({
    mutationFn: async () => {
      const [sourceLanguage = "", targetLanguage = ""] = (pair ?? "").split("-");
      const input = text
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean)
        .map((source) => ({ source }));
      const language = { sourceLanguage, targetLanguage };
      if (kind === "translation") {
        const body: Schemas["TranslationRequest"] = { input, config: { language } };
        return unwrap(await client.POST("/v1/nmt", { body })).output;
      }
      const body: Schemas["TransliterationRequest"] = { input, config: { language, isSentence: true } };
      return unwrap(await client.POST("/v1/transliterate", { body })).output.map((o) => ({
        source: o.source,
        target: Array.isArray(o.target) ? o.target.join(", ") : String(o.target),
      }));
    },
  });

  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>{TITLES[kind]}</Title>
        <Select
          label="Language pair"
          description="source-target, from the model registry"
          data={pairs.length ? pairs : [DEFAULTS[kind].pair]}
          value={pair}
          onChange={setPair}
          searchable
          allowDeselect={false}
        />
        <Textarea
          label="Text, one sentence per line"
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          autosize
          minRows={3}
        />
        <Group>
          <Button onClick={() => run.mutate()} loading={run.isPending} disabled={!text.trim() || !pair}>
            {TITLES[kind]}
          </Button>
        </Group>
        {run.error ? <ApiErrorAlert error={run.error} /> : null}
        {run.data ? (
          <Table aria-label={`${TITLES[kind]} results`} withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Source</Table.Th>
                <Table.Th>Result</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {run.data.map((row, i) => (
                <Table.Tr key={i} data-testid="result-row">
                  <Table.Td>{row.source}</Table.Td>
                  <Table.Td data-testid="result-target">{row.target}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : null}
        <ExchangePanel prefixes={[kind === "translation" ? "/v1/nmt" : "/v1/transliterate"]} />
      </Stack>
    </NeedsKey>
  );
}
