import { MantineProvider } from "@mantine/core";
import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { ApiError } from "../api/client";
import { ApiErrorAlert } from "./ApiErrorAlert";

describe("ApiErrorAlert", () => {
  it("shows the API's code, message and request id", () => {
    render(
      <MantineProvider>
        <ApiErrorAlert error={new ApiError(403, { code: "auth.invalid_key", message: "the API key is not valid", requestId: "r-1" })} />
      </MantineProvider>,
    );
    expect(screen.getByRole("alert").textContent).toContain("auth.invalid_key");
    expect(screen.getByTestId("api-error-message").textContent).toBe("the API key is not valid");
    expect(screen.getByText("request id r-1")).toBeTruthy();
  });
});
