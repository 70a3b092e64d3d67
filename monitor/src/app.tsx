import { useEffect, useMemo, useState } from "preact/hooks";
import { connect } from "./api.js";
import { ApiContext } from "./context.js";
import { JobPage } from "./pages/JobPage.js";
import { QueuesPage } from "./pages/QueuesPage.js";
import { SignIn } from "./pages/SignIn.js";
import { TaskPage } from "./pages/TaskPage.js";
import { WorkflowPage } from "./pages/WorkflowPage.js";
import { WorkflowsPage } from "./pages/WorkflowsPage.js";
import { href, parseRoute, type Route } from "./route.js";
import { forgetToken, storedToken, storeToken, tokenInFragment } from "./session.js";

/**
 * A token handed over in the fragment (#token=…) is kept and removed from the address at once, so it
 * stays out of the history and of anything copied from the address bar.
 */
function takeTokenFromFragment(): string | undefined {
  const token = tokenInFragment(location.hash);
  if (token === undefined) return undefined;
  storeToken(localStorage, token);
  history.replaceState(null, "", `${location.pathname}${location.search}${href.workflows()}`);
  return token;
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
      return <TaskPage key={route.id} id={route.id} />;
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
  const [token, setToken] = useState<string | null>(() => takeTokenFromFragment() ?? storedToken(localStorage));
  const [signInMessage, setSignInMessage] = useState<string>();
  const route = useRoute();

  // A #token=… link opened in a tab that is already open arrives as a hash change, not a page load.
  useEffect(() => {
    const onHash = () => {
      const handed = takeTokenFromFragment();
      if (handed !== undefined) setToken(handed);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const signOut = (message?: string) => {
    forgetToken(localStorage);
    setSignInMessage(message);
    setToken(null);
  };
  const api = useMemo(() => (token === null ? null : connect(token, (message) => signOut(message))), [token]);

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
