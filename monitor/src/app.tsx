import { useEffect, useMemo, useState } from "preact/hooks";
import { connect } from "./api.js";
import { ApiContext } from "./context.js";
import { JobPage } from "./pages/JobPage.js";
import { QueuesPage } from "./pages/QueuesPage.js";
import { SignIn } from "./pages/SignIn.js";
import { SwitchToken } from "./pages/SwitchToken.js";
import { TaskPage } from "./pages/TaskPage.js";
import { WorkflowPage } from "./pages/WorkflowPage.js";
import { WorkflowsPage } from "./pages/WorkflowsPage.js";
import { href, parseRoute, type Route } from "./route.js";
import { forgetToken, storedToken, storeToken, tokenInFragment } from "./session.js";

/**
 * A token handed over in the fragment (#token=…) is removed from the address at once, so it stays out of
 * the history and of anything copied from the address bar. It is kept at once only when the browser keeps
 * no other: one that would replace another waits for the user's word (SwitchToken).
 */
function takeTokenFromFragment(): { token: string; asks: boolean } | undefined {
  const token = tokenInFragment(location.hash);
  if (token === undefined) return undefined;
  history.replaceState(null, "", `${location.pathname}${location.search}${href.workflows()}`);
  const kept = storedToken(localStorage);
  if (kept !== null && kept !== token) return { token, asks: true };
  storeToken(localStorage, token);
  return { token, asks: false };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "workflows":
      return <WorkflowsPage />;
    case "workflow":
      return <WorkflowPage key={route.id} id={route.id} />;
    case "task":
      return <TaskPage key={route.id} id={route.id} initialJobs={route.jobs} />;
    case "job":
      return <JobPage key={route.id} id={route.id} />;
    case "queues":
      return <QueuesPage />;
    case "unknown":
      return (
        <section class="page">
          <h1>No such page</h1>
          <p>
            Nothing lives at <code>#{route.path}</code>. <a href={href.workflows()}>See the workflows</a>.
          </p>
        </section>
      );
  }
}

export function App() {
  const [first] = useState(takeTokenFromFragment);
  const [token, setToken] = useState<string | null>(() => (first && !first.asks ? first.token : storedToken(localStorage)));
  /** A token a link handed over, waiting for the user to choose it over the kept one. */
  const [offered, setOffered] = useState<string | undefined>(first?.asks ? first.token : undefined);
  const [signInMessage, setSignInMessage] = useState<string>();

  // A #token=… link opened in a tab that is already open arrives as a hash change, not a page load. Its
  // listener comes before the route's, so the route is read once the token left the address.
  useEffect(() => {
    const onHash = () => {
      const handed = takeTokenFromFragment();
      if (handed?.asks) setOffered(handed.token);
      else if (handed !== undefined) setToken(handed.token);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  const route = useRoute();

  const signOut = (message?: string) => {
    forgetToken(localStorage);
    setSignInMessage(message);
    setToken(null);
  };
  const api = useMemo(() => (token === null ? null : connect(token, (message) => signOut(message))), [token]);

  if (offered !== undefined && token !== null && offered !== token) {
    return (
      <SwitchToken
        kept={token}
        handed={offered}
        onKeep={() => setOffered(undefined)}
        onSwitch={() => {
          storeToken(localStorage, offered);
          setOffered(undefined);
          setToken(offered);
        }}
      />
    );
  }
  if (api === null) {
    return (
      <SignIn
        message={signInMessage}
        onSignedIn={(t) => {
          storeToken(localStorage, t);
          setSignInMessage(undefined);
          setToken(t);
        }}
      />
    );
  }
  return (
    <ApiContext.Provider value={api}>
      <header class="top">
        <a class="brand" href={href.workflows()}>
          Pando monitor
        </a>
        <nav>
          <a href={href.workflows()} class={route.page === "workflows" ? "current" : ""}>
            Workflows
          </a>
          <a href={href.queues()} class={route.page === "queues" ? "current" : ""}>
            Queues and pilots
          </a>
        </nav>
        <button type="button" class="sign-out" onClick={() => signOut()} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <main>
        <Page route={route} />
      </main>
    </ApiContext.Provider>
  );
}
