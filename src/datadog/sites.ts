/** The Datadog sites and their API hosts (api-notes.md, "Sites"). */

export interface Site {
  /** The site as Datadog names it: `datadoghq.eu`. */
  readonly name: string;
  /** The host of the web app: `app.datadoghq.eu`. */
  readonly app: string;
  /** The host of the API: `api.datadoghq.eu`. */
  readonly api: string;
}

const site = (name: string, app: string): Site => ({ name, app, api: `api.${name}` });

/** datadoghq.com: where a connection lives when neither site nor DD_SITE says otherwise. */
export const DEFAULT_SITE: Site = site("datadoghq.com", "app.datadoghq.com");

export const SITES: readonly Site[] = [
  DEFAULT_SITE,
  site("us3.datadoghq.com", "us3.datadoghq.com"),
  site("us5.datadoghq.com", "us5.datadoghq.com"),
  site("datadoghq.eu", "app.datadoghq.eu"),
  site("ap1.datadoghq.com", "ap1.datadoghq.com"),
  site("ap2.datadoghq.com", "ap2.datadoghq.com"),
  site("ddog-gov.com", "app.ddog-gov.com"),
  site("us2.ddog-gov.com", "us2.ddog-gov.com"),
  site("uk1.datadoghq.com", "uk1.datadoghq.com"),
];

/**
 * The site named by `text`: bare (`datadoghq.eu`), as its app or API host (`app.datadoghq.eu`), or as
 * an https URL of either with no path. Anything else is unknown: keys are never sent to a host that
 * is not Datadog's.
 */
export function findSite(text: string): Site | undefined {
  let host = text.trim().toLowerCase();
  if (host.includes("://")) {
    if (!URL.canParse(host)) return undefined;
    const url = new URL(host);
    if (url.protocol !== "https:" || url.port || url.username || url.password || url.search || url.hash)
      return undefined;
    if (url.pathname !== "/") return undefined;
    host = url.hostname;
  }
  host = host.replace(/\.$/, "");
  return SITES.find((candidate) => host === candidate.name || host === candidate.app || host === candidate.api);
}
