// === emit order and arguments
import { EventEmitter } from "node:events";
const e = new EventEmitter();
const log = [];
e.on("x", (a, b) => log.push(["first", a, b]));
e.prependListener("x", () => log.push(["pre"]));
e.once("x", () => log.push(["once"]));
e.emit("x", 1, 2);
e.emit("x", 3, 4);
export default [log, e.listenerCount("x"), e.eventNames()];
// === default import is the class
import EventEmitter from "events";
class My extends EventEmitter {}
const m = new My();
let got;
m.on("data", (d) => { got = d; });
export default [m.emit("data", 5), m.emit("none"), got];
// === removeListener and off
import { EventEmitter } from "node:events";
const e = new EventEmitter();
const f = () => {};
e.on("a", f).on("a", f);
e.off("a", f);
const one = e.listenerCount("a");
e.removeAllListeners("a");
export default [one, e.listenerCount("a")];
// === error event without listener throws
import { EventEmitter } from "node:events";
let m;
try { new EventEmitter().emit("error", new Error("boom")); } catch (e) { m = e.message; }
export default m;
// === once helper
import { EventEmitter, once } from "node:events";
const e = new EventEmitter();
setTimeout(() => e.emit("ready", 1, 2), 1);
export default await once(e, "ready");
// === newListener event
import { EventEmitter } from "node:events";
const e = new EventEmitter();
const seen = [];
e.on("newListener", (name) => seen.push(name));
e.on("a", () => {});
e.once("b", () => {});
export default seen;
// === max listeners
import { EventEmitter } from "node:events";
const e = new EventEmitter();
e.setMaxListeners(3);
export default [e.getMaxListeners(), EventEmitter.defaultMaxListeners];
// === rawListeners and listeners
import { EventEmitter } from "node:events";
const e = new EventEmitter();
e.once("a", function named() {});
export default [e.listeners("a").length, e.rawListeners("a").length, typeof e.rawListeners("a")[0].listener];
// === this inside listeners
import { EventEmitter } from "node:events";
const e = new EventEmitter();
let same;
e.on("a", function () { same = this === e; });
e.emit("a");
export default same;
// === EventTarget and Event
const t = new EventTarget();
const seen = [];
t.addEventListener("ping", (e) => seen.push([e.type, e instanceof Event]));
t.addEventListener("ping", () => seen.push("once"), { once: true });
t.dispatchEvent(new Event("ping"));
t.dispatchEvent(new Event("ping"));
export default seen;
// === preventDefault
const t = new EventTarget();
t.addEventListener("x", (e) => e.preventDefault());
export default [t.dispatchEvent(new Event("x", { cancelable: true })), t.dispatchEvent(new Event("x"))];
// === AbortController
const c = new AbortController();
const seen = [];
c.signal.addEventListener("abort", () => seen.push("aborted"));
c.abort("why");
c.abort("again");
export default [seen, c.signal.aborted, c.signal.reason];
// === AbortSignal timeout
const s = AbortSignal.timeout(5);
await new Promise((r) => setTimeout(r, 30));
export default [s.aborted, s.reason.name];
// === AbortSignal abort static
const s = AbortSignal.abort();
let m;
try { s.throwIfAborted(); } catch (e) { m = e.name; }
export default [s.aborted, m];
// === inspect of an emitter names its class
import { EventEmitter } from "node:events";
import { inspect } from "node:util";
class Bus extends EventEmitter {}
export default [inspect(new EventEmitter()).split("\n")[0], inspect(new Bus()).split("\n")[0], EventEmitter.name, new EventEmitter().constructor.name];
// === web event objects as JSON
const t = new EventTarget();
let seen;
t.addEventListener("x", (e) => { seen = [e.target === t, e.currentTarget === t, e.eventPhase]; });
const e = new Event("x");
t.dispatchEvent(e);
export default [JSON.stringify([e, new CustomEvent("c", { detail: 1 }), t, new AbortController(), AbortSignal.abort()]), seen, e.currentTarget, e.target === t];
// === onabort handler
const c = new AbortController();
let got = null;
c.signal.onabort = (ev) => { got = ev.type; };
c.abort();
export default [got, typeof c.signal.onabort];
