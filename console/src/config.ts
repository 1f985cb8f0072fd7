/** The stage's runtime configuration, served beside the app as /config.json (CloudFront in AWS, the local
 * cloud's console server locally): the same build runs in every stage. */
export interface ConsoleConfig {
  apiUrl: string;
  websocketUrl: string | null;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) {
    throw new Error(`/config.json answered ${response.status}`);
  }
  const body = (await response.json()) as Partial<ConsoleConfig>;
  if (typeof body.apiUrl !== "string" || !body.apiUrl) {
    throw new Error("/config.json has no apiUrl");
  }
  return { apiUrl: body.apiUrl.endsWith("/") ? body.apiUrl : `${body.apiUrl}/`, websocketUrl: body.websocketUrl ?? null };
}
