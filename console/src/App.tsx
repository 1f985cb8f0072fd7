import { AppShell, Burger, Group, NavLink, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useIsFetching, useIsMutating } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";

import { useApiKey } from "./lib/apiKey";
import { JobsPage } from "./pages/JobsPage";
import { KeyPage } from "./pages/KeyPage";
import { LivePage } from "./pages/LivePage";
import { PipelinePage } from "./pages/PipelinePage";
import { SpeechToTextPage } from "./pages/SpeechToTextPage";
import { TextToSpeechPage } from "./pages/TextToSpeechPage";
import { TranslatePage } from "./pages/TranslatePage";
import { UsagePage } from "./pages/UsagePage";

interface Page {
  path: string;
  label: string;
  render: () => ReactNode;
}

export const PAGES: Page[] = [
  { path: "key", label: "Key", render: () => <KeyPage /> },
  { path: "speech-to-text", label: "Speech to text", render: () => <SpeechToTextPage /> },
  { path: "live", label: "Live", render: () => <LivePage /> },
  { path: "text-to-speech", label: "Text to speech", render: () => <TextToSpeechPage /> },
  { path: "translate", label: "Translate", render: () => <TranslatePage kind="translation" key="t" /> },
  { path: "transliterate", label: "Transliterate", render: () => <TranslatePage kind="transliteration" key="x" /> },
  { path: "pipeline", label: "Pipeline", render: () => <PipelinePage /> },
  { path: "jobs", label: "Jobs", render: () => <JobsPage /> },
  { path: "usage", label: "Usage", render: () => <UsagePage /> },
];

function currentPath(): string {
  return window.location.hash.replace(/^#\/?/, "") || "key";
}

/** The shell: navigation on the left (a burger on small screens), one page at a time, routes in the hash. */
export function App() {
  const [path, setPath] = useState(currentPath);
  const [opened, { toggle, close }] = useDisclosure();
  const key = useApiKey();
  // data-busy: whether a query still fetches its first data or a mutation runs (tests wait for "false" before
  // checking a page); a background refetch of data already shown (the Jobs page polls) does not count
  const busy = useIsFetching({ predicate: (query) => query.state.status === "pending" }) + useIsMutating() > 0;
  useEffect(() => {
    const onHash = () => {
      setPath(currentPath());
      close();
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, [close]);
  const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" aria-expanded={opened} />
            <Title order={1} size="h3">
              Speech console
            </Title>
          </Group>
          <Text size="sm" fw={600} data-testid="key-status">
            {key ? "Key set" : "No key"}
          </Text>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Pages">
        {PAGES.map((p) => (
          <NavLink key={p.path} href={`#/${p.path}`} label={p.label} active={p.path === page.path} aria-current={p.path === page.path ? "page" : undefined} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <main aria-label={page.label} data-busy={busy ? "true" : "false"}>
          {page.render()}
        </main>
      </AppShell.Main>
    </AppShell>
  );
}
