import { describe, expect, it } from "vitest";
import {
  clientSecurityEnv,
  clientSecurityFromEnv,
  isLoopbackHost,
  plainHttpHint,
  isTlsFailure,
  serverUrlRefusal,
  tlsFailureMessage,
} from "./transport-security.js";

describe("isLoopbackHost", () => {
  it("is this machine only", () => {
    for (const h of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "LOCALHOST"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["198.18.0.1", "198.19.255.254", "128.0.0.1", "127.0.0.256", "example.org", "localhost.example.org", "::2", "0.0.0.0"]) {
      expect(isLoopbackHost(h)).toBe(false);
    }
  });
});

describe("serverUrlRefusal", () => {
  it("lets https anywhere and plain http to this machine", () => {
    expect(serverUrlRefusal("https://198.18.0.1:8720", {})).toBeUndefined();
    expect(serverUrlRefusal("http://127.0.0.1:8720", {})).toBeUndefined();
    expect(serverUrlRefusal("http://localhost:8720", {})).toBeUndefined();
    expect(serverUrlRefusal("http://[::1]:8720", {})).toBeUndefined();
  });

  it("refuses plain http to another host, naming it and what to do", () => {
    const refusal = serverUrlRefusal("http://198.18.0.1:9/", {});
    expect(refusal).toMatch(/refusing to send the token over plain HTTP to 198\.18\.0\.1 \(http:\/\/198\.18\.0\.1:9\)/);
    expect(refusal).toMatch(/https:\/\//);
    expect(refusal).toMatch(/--insecure-http \(PANDO_INSECURE_HTTP=1\)/);
  });

  it("lets plain http to another host when told the network is trusted", () => {
    expect(serverUrlRefusal("http://198.18.0.1:9", { insecureHttp: true })).toBeUndefined();
  });

  it("refuses what is no http(s) URL", () => {
    expect(serverUrlRefusal("198.18.0.1:9", {})).toMatch(/not a server URL/);
    expect(serverUrlRefusal("ftp://198.18.0.1", {})).toMatch(/not a server URL \(ftp\)/);
  });
});

describe("clientSecurityFromEnv", () => {
  it("reads PANDO_CA and PANDO_INSECURE_HTTP, and hands them on", () => {
    expect(clientSecurityFromEnv({})).toEqual({ insecureHttp: false });
    const security = clientSecurityFromEnv({ PANDO_CA: " /etc/pando/ca.pem ", PANDO_INSECURE_HTTP: "1" });
    expect(security).toEqual({ caFile: "/etc/pando/ca.pem", insecureHttp: true });
    expect(clientSecurityEnv(security)).toEqual({ PANDO_CA: "/etc/pando/ca.pem", PANDO_INSECURE_HTTP: "1" });
    expect(clientSecurityFromEnv({ PANDO_INSECURE_HTTP: "0" }).insecureHttp).toBe(false);
    expect(clientSecurityFromEnv({ PANDO_INSECURE_HTTP: "true" }).insecureHttp).toBe(true);
    expect(clientSecurityEnv({ insecureHttp: false })).toEqual({});
  });
});

describe("tlsFailureMessage", () => {
  it("says in words what was wrong, where, and what to do", () => {
    expect(tlsFailureMessage("the Pando server", "198.18.0.1:8720", "UNABLE_TO_VERIFY_LEAF_SIGNATURE")).toBe(
      "cannot trust the Pando server at 198.18.0.1:8720: its certificate is signed by an authority this client does not trust " +
        "(UNABLE_TO_VERIFY_LEAF_SIGNATURE); pass the certificate authority that signed it with --ca FILE (or PANDO_CA=FILE)",
    );
    expect(tlsFailureMessage("the broker", "b:61614", "CERT_HAS_EXPIRED")).toMatch(/has expired.*must install a valid certificate/);
    expect(tlsFailureMessage("the Pando server", "h:1", "ERR_TLS_CERT_ALTNAME_INVALID")).toMatch(/another host name/);
    expect(tlsFailureMessage("the Pando server", "h:1", "ERR_SSL_SOMETHING_NEW", "line one\nline two")).toBe(
      "cannot trust the Pando server at h:1: the TLS handshake failed: line one (ERR_SSL_SOMETHING_NEW); check the URL's scheme and port",
    );
  });

  it("knows a TLS failure from a network one", () => {
    expect(isTlsFailure("SELF_SIGNED_CERT_IN_CHAIN")).toBe(true);
    expect(isTlsFailure("ERR_SSL_WRONG_VERSION_NUMBER")).toBe(true);
    expect(isTlsFailure("ECONNREFUSED")).toBe(false);
    expect(isTlsFailure(undefined)).toBe(false);
  });
});

describe("plainHttpHint", () => {
  it("suggests https:// for a plain-HTTP connection closed without an answer", () => {
    expect(plainHttpHint("http://198.18.0.2:8443", "UND_ERR_SOCKET")).toBe("; if that server serves HTTPS, use https://198.18.0.2:8443");
    expect(plainHttpHint("http://127.0.0.1:1", "ECONNRESET")).toMatch(/use https:\/\/127\.0\.0\.1:1$/);
  });

  it("says nothing for https://, a refused connection or no code", () => {
    expect(plainHttpHint("https://h:1", "UND_ERR_SOCKET")).toBe("");
    expect(plainHttpHint("http://h:1", "ECONNREFUSED")).toBe("");
    expect(plainHttpHint("http://h:1", undefined)).toBe("");
  });
});
