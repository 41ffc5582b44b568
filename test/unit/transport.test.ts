import { describe, expect, it } from "vitest";
import { chooseProxy, exempt } from "../../src/datadog/transport.ts";

const EU = new URL("https://api.datadoghq.eu/api/v2/actions/connections/x");
const GATEWAY = new URL("http://gateway.internal:8126/api");
/** exempt() alone still reads NO_PROXY for a loopback URL; chooseProxy never gets that far. */
const LOCAL = new URL("http://127.0.0.1:8126/api");

describe("chooseProxy: which variable names the proxy", () => {
  it.each([
    [{ https_proxy: "http://a:1", HTTPS_PROXY: "http://b:1" }, EU, "https_proxy"],
    [{ HTTPS_PROXY: "http://b:1", http_proxy: "http://c:1" }, EU, "HTTPS_PROXY"],
    [{ http_proxy: "http://c:1", HTTP_PROXY: "http://d:1" }, EU, "http_proxy"],
    [{ HTTP_PROXY: "http://d:1" }, EU, "HTTP_PROXY"],
    [{ https_proxy: " ", HTTPS_PROXY: "http://b:1" }, EU, "HTTPS_PROXY"],
    [{ HTTPS_PROXY: "http://b:1", HTTP_PROXY: "http://d:1" }, GATEWAY, "HTTP_PROXY"],
    [{ HTTPS_PROXY: "http://b:1" }, GATEWAY, undefined],
    [{}, EU, undefined],
  ])("%j for %s → %s", (env, url, variable) => {
    expect(chooseProxy(env, url)?.variable).toBe(variable);
  });

  it("gives the value, trimmed; NO_PROXY (lower case first, empty unset) exempts the host", () => {
    expect(chooseProxy({ HTTPS_PROXY: " http://proxy:3128 \n" }, EU)).toEqual({
      variable: "HTTPS_PROXY",
      value: "http://proxy:3128",
    });
    expect(chooseProxy({ HTTPS_PROXY: "http://p:1", NO_PROXY: "datadoghq.eu" }, EU)).toBeUndefined();
    expect(chooseProxy({ HTTPS_PROXY: "http://p:1", no_proxy: "example.com", NO_PROXY: "datadoghq.eu" }, EU)).toEqual({
      variable: "HTTPS_PROXY",
      value: "http://p:1",
    });
    expect(chooseProxy({ HTTPS_PROXY: "http://p:1", no_proxy: "", NO_PROXY: "datadoghq.eu" }, EU)).toBeUndefined();
  });
});

describe("chooseProxy: loopback hosts are never proxied", () => {
  const every = {
    https_proxy: "http://a:1",
    HTTPS_PROXY: "http://b:1",
    http_proxy: "http://c:1",
    HTTP_PROXY: "http://d:1",
  };
  it.each([
    "http://localhost:8126/api",
    "http://127.0.0.1:8126/api",
    "https://127.5.6.7/api",
    "http://127.1:80/",
    "http://[::1]:8126/api",
    "https://LOCALHOST/",
  ])("%s", (url) => {
    expect(chooseProxy(every, new URL(url))).toBeUndefined();
  });

  it.each(["http://128.0.0.1/", "http://localhost.example.com/", "http://[::2]/", "http://127.0.0.1.example/"])(
    "%s is not loopback: proxied",
    (url) => {
      expect(chooseProxy(every, new URL(url))?.variable).toBe("http_proxy");
    },
  );
});

describe("exempt: NO_PROXY as undici and curl read it", () => {
  it.each([
    ["api.datadoghq.eu", true],
    ["datadoghq.eu", true],
    [".datadoghq.eu", true],
    ["*.datadoghq.eu", true],
    ["API.DatadogHQ.eu", true],
    ["*", true],
    ["api.datadoghq.eu:443", true],
    ["api.datadoghq.eu:8443", false],
    ["*:443", true],
    ["*:80", false],
    ["i.datadoghq.eu", false],
    ["datadoghq.com", false],
    ["example.com, datadoghq.eu", true],
    ["example.com datadoghq.eu", true],
    ["", false],
  ])("%j → %s for api.datadoghq.eu", (noProxy, expected) => {
    expect(exempt(EU, noProxy)).toBe(expected);
  });

  it("`*.host` matches only subdomains; a trailing dot and IPv6 forms are understood", () => {
    expect(exempt(new URL("https://datadoghq.eu/"), "*.datadoghq.eu")).toBe(false);
    expect(exempt(new URL("https://datadoghq.eu./"), "datadoghq.eu")).toBe(true);
    expect(exempt(new URL("http://[::1]:8080/"), "[::1]:8080")).toBe(true);
    expect(exempt(new URL("http://[::1]:8080/"), "::1")).toBe(true);
    expect(exempt(new URL("http://[::1]:8080/"), "[::1]:9090")).toBe(false);
    expect(exempt(LOCAL, "127.0.0.1")).toBe(true);
    expect(exempt(LOCAL, "127.0.0.1:8126")).toBe(true);
    expect(exempt(LOCAL, "localhost")).toBe(false);
  });
});
