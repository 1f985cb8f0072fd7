import { Anchor, Badge, Button, FileInput, Group, Progress, Select, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { unwrap, type Schemas } from "../api/client";
import { useApi } from "../api/context";
import { languagesOf, useModels } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";
import { useApiKey } from "../lib/apiKey";
import { putWithProgress } from "../lib/upload";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);
const STATE_COLORS: Record<string, string> = {
  queued: "gray",
  running: "blue",
  succeeded: "teal",
  failed: "red",
  cancelled: "orange",
};

/** Batch jobs: upload (with a progress bar), the job list with live progress, outputs, cancel and retry. */
export function JobsPage() {
  const { client } = useApi();
  const key = useApiKey();
  const queryClient = useQueryClient();
  const models = useModels();
  const languages = languagesOf(models.data, "asr");
  const [file, setFile] = useState<File | null>(null);
  const [language, setLanguage] = useState<string | null>("en");
  const [uploadFraction, setUploadFraction] = useState<number | null>(null);

  const jobs = useQuery({
    queryKey: ["jobs", key],
    enabled: Boolean(key),
    queryFn: async () => unwrap(await client.GET("/v1/jobs", { params: { query: { limit: 20 } } })).jobs,
    // live progress: poll every 2 s while any job is unfinished (30 calls a minute, half the default key limit)
    refetchInterval: (query) => (query.state.data?.some((job) => !FINISHED.has(job.state)) ? 2000 : false),
  });

  const create = useMutation({
    mutationFn: async () => {
      if (!file) throw new Error("Choose a file first.");
      setUploadFraction(0);
      const upload = unwrap(
        await client.POST("/v1/uploads", { body: { fileName: file.name, contentType: file.type || "application/octet-stream" } }),
      );
      await putWithProgress(upload.uploadUrl, file, upload.headers as Record<string, string>, setUploadFraction);
      const body: Schemas["CreateJobRequest"] = {
        audioUri: upload.audioUri,
        config: { language: { sourceLanguage: language ?? "en" } },
      };
      return unwrap(await client.POST("/v1/jobs", { body }));
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["jobs"] }),
  });

  const act = useMutation({
    mutationFn: async ({ jobId, action }: { jobId: string; action: "cancel" | "retry" }) => {
      const params = { path: { jobId } };
      return action === "cancel"
        ? unwrap(await client.POST("/v1/jobs/{jobId}/cancel", { params }))
        : unwrap(await client.POST("/v1/jobs/{jobId}/retry", { params }));
    },
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["jobs"] }),
  });

  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Batch jobs</Title>
        <Group align="end">
          <FileInput label="Long recording" placeholder="Choose a file" accept="audio/*" value={file} onChange={setFile} style={{ flex: 1 }} clearable />
          <Select label="Language" data={languages.length ? languages : ["en"]} value={language} onChange={setLanguage} allowDeselect={false} />
          <Button onClick={() => create.mutate()} loading={create.isPending} disabled={!file}>
            Upload and transcribe
          </Button>
        </Group>
        {uploadFraction !== null ? (
          <Stack gap={2}>
            <Text size="sm">Upload {Math.round(uploadFraction * 100)}%</Text>
            <Progress value={uploadFraction * 100} aria-label="Upload progress" data-testid="upload-progress" />
          </Stack>
        ) : null}
        {create.error ? <ApiErrorAlert error={create.error} /> : null}
        {act.error ? <ApiErrorAlert error={act.error} /> : null}
        {jobs.error ? <ApiErrorAlert error={jobs.error} /> : null}
        <Table aria-label="Jobs" withTableBorder>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Job</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Progress</Table.Th>
              <Table.Th>Outputs</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(jobs.data ?? []).map((job) => (
              <JobRow key={job.jobId} job={job} onAction={(action) => act.mutate({ jobId: job.jobId, action })} />
            ))}
          </Table.Tbody>
        </Table>
        <ExchangePanel prefixes={["/v1/jobs", "/v1/uploads"]} />
      </Stack>
    </NeedsKey>
  );
}

function JobRow({ job, onAction }: { job: Schemas["Job"]; onAction: (action: "cancel" | "retry") => void }) {
  const { client } = useApi();
  const finished = FINISHED.has(job.state);
  // the list carries progress; a finished job's presigned outputs come with GET /v1/jobs/{jobId}
  const detail = useQuery({
    queryKey: ["job", job.jobId, job.state],
    enabled: job.state === "succeeded",
    queryFn: async () => unwrap(await client.GET("/v1/jobs/{jobId}", { params: { path: { jobId: job.jobId } } })),
  });
  const results = detail.data?.results ?? job.results ?? {};
  const percent = Math.round((job.progress.fraction ?? 0) * 100);
  return (
    <Table.Tr data-testid="job-row" data-job-id={job.jobId} data-state={job.state}>
      <Table.Td>
        <Text size="xs" ff="monospace">
          {job.jobId}
        </Text>
        <Text size="xs" c="dimmed">
          {new Date(job.createdAt).toLocaleString()}
        </Text>
      </Table.Td>
      <Table.Td>
        <Badge variant="light" color={STATE_COLORS[job.state] ?? "gray"} data-testid="job-state">
          {job.state}
        </Badge>
        {job.error ? (
          <Text size="xs" c="red.9">
            {job.error.code}: {job.error.message}
          </Text>
        ) : null}
      </Table.Td>
      <Table.Td style={{ minWidth: 180 }}>
        <Progress value={percent} aria-label={`Progress of job ${job.jobId}`} data-testid="job-progress" data-value={percent} />
        <Text size="xs">
          {percent}% · {job.progress.chunksDone}/{job.progress.chunksTotal ?? "?"} chunks · {job.progress.audioSeconds.toFixed(1)} s
        </Text>
      </Table.Td>
      <Table.Td>
        <Group gap={6}>
          {Object.entries(results).map(([format, url]) => (
            <Anchor key={format} href={url} target="_blank" rel="noreferrer" size="sm" data-testid="job-output">
              {format}
            </Anchor>
          ))}
        </Group>
      </Table.Td>
      <Table.Td>
        <Group gap={6}>
          <Button size="xs" variant="light" color="orange" disabled={finished} onClick={() => onAction("cancel")}>
            Cancel
          </Button>
          <Button size="xs" variant="light" disabled={job.state !== "failed" && job.state !== "cancelled"} onClick={() => onAction("retry")}>
            Retry
          </Button>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}
