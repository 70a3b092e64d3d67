// The web monitor of a Pando server: one page that reads the monitoring API (docs/monitor.md).
import { render } from "preact";
import { App } from "./app.js";

render(<App />, document.getElementById("app")!);
