// Whether a caller's kind of token may call an endpoint at all, from the endpoint's access class alone:
// checked when the request arrives, before its body is read, so a token of the wrong kind cannot make the
// server read and parse a large body it will refuse anyway. The services still check ownership.
import type { Access } from "../api/routes.js";
import type { Principal } from "../store/auth-store.js";

/** Why `p` may not call an endpoint of `access` (named `what`: its method and path), or undefined when it may. */
export function wrongKind(access: Access, p: Principal, what: string): string | undefined {
  const pilot = p.kind === "pilot";
  const scoped = p.kind === "workflow";
  if (p.kind === "site") {
    return access === "public" || access === "site"
      ? undefined
      : `a site token (site '${p.site}') may only call the site endpoints of its site, not ${what}; use a user token`;
  }
  switch (access) {
    case "public":
    case "token":
      return undefined;
    case "user":
    case "ownerUser":
      if (pilot) return `a pilot token cannot call ${what}; use a user token`;
      if (scoped) return `this token is scoped to workflow ${p.workflowId} and cannot call ${what}; use a user token`;
      return undefined;
    case "owner":
      return pilot ? `a pilot token cannot call ${what}; use a user token` : undefined;
    case "userOrPilot":
      return scoped ? `this token is scoped to workflow ${p.workflowId} and cannot call ${what}; use a user token` : undefined;
    case "pilot":
      return pilot || p.admin ? undefined : `only pilot tokens (or administrators) may call ${what}`;
    case "admin":
      return p.admin ? undefined : `only administrators may call ${what}`;
    case "site":
      return p.admin ? undefined : `only a site's token (or an administrator's) may call ${what}; create one with \`pando token create --site NAME\``;
  }
}
