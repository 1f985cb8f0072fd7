import "@mantine/core/styles.css";
import "./theme.css";

import { Alert, createTheme, MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { makeClient } from "./api/client";
import { ApiContext } from "./api/context";
import { App } from "./App";
import { loadConfig } from "./config";

// filled buttons and badges in shade 8: white text on them meets WCAG AA contrast; Mantine's transitions off
// where the system asks for reduced motion (theme.css stops the CSS ones)
const theme = createTheme({ primaryShade: 8, respectReducedMotion: true });
const root = createRoot(document.getElementById("root")!);
const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });

loadConfig()
  .then((config) => {
    root.render(
      <StrictMode>
        <MantineProvider theme={theme}>
          <QueryClientProvider client={queryClient}>
            <ApiContext.Provider value={{ config, client: makeClient(config.apiUrl) }}>
              <App />
            </ApiContext.Provider>
          </QueryClientProvider>
        </MantineProvider>
      </StrictMode>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <MantineProvider>
        <Alert color="red" title="The console has no configuration" role="alert">
          {String(error)}
        </Alert>
      </MantineProvider>,
    );
  });
