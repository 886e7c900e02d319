// === URL parts
const u = new URL("https://user:pw@Example.COM:8443/a/./b/../c?x=1&y=%20#frag");
export default [u.href, u.origin, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.username, u.password];
// === URL relative resolution
export default ["../x", "/y?z", "//other.org/p", "?q=1", "#h", "d/e"].map((r) => new URL(r, "https://ex.com/a/b/c").href);
// === URL IDNA host
export default [new URL("https://münchen.de/straße").href, new URL("https://BÜCHER.example").hostname];
// === URL percent encoding of paths queries and fragments
export default new URL("https://example.com/a b/ä?q=ä b&r=<>#f g`").href;
// === URLSearchParams
const p = new URLSearchParams("a=1&b=x+y&a=3&c=%E2%9C%93");
p.append("d", "&=");
p.sort();
export default [p.getAll("a"), p.get("b"), p.get("c"), p.has("z"), p.toString(), [...p.keys()]];
// === URLSearchParams from object and entries
export default [new URLSearchParams({ q: "a b", n: 1 }).toString(), new URLSearchParams([["x", "1"], ["x", "2"]]).toString()];
// === URL setters
const u = new URL("http://a.com/p");
u.protocol = "https";
u.port = "8080";
u.pathname = "/new path";
u.search = "k=v w";
u.hash = "top";
u.searchParams.set("z", "1");
export default u.href;
// === URL special ports and schemes
export default ["http://x:80/", "https://x:443/", "ftp://x:21/", "ws://x:80/", "foo://x:80/", "file:///C:/a"].map((s) => new URL(s).href);
// === URL invalid input throws TypeError
let name;
try { new URL("not a url"); } catch (e) { name = e.name; }
export default [name, URL.canParse("https://ok"), URL.canParse("nope")];
// === URL toJSON and String
const u = new URL("https://ex.com/?a=1");
export default [JSON.stringify({ u }), String(u), u.toString() === u.href];
// === URL IPv4 and IPv6 hosts
export default ["http://0x7f.1/", "http://[::1]:8080/", "http://192.168.0.257/".length].map((s) => { try { return typeof s === "string" ? new URL(s).host : s; } catch (e) { return e.name; } });
// === process nextTick before a timer set earlier
const order = [];
setTimeout(() => order.push("timeout"), 0);
process.nextTick(() => order.push("tick"));
Promise.resolve().then(() => order.push("promise"));
await new Promise((r) => setTimeout(r, 5));
export default order;
// === util inspect of a URL and of errors with causes
import { inspect } from "node:util";
export default inspect(new URL("https://ex.com/a")).split("\n")[0];
// === util inspect of search params
import { inspect } from "node:util";
const p = new URLSearchParams("x=1&y=2");
export default [inspect(p), inspect(new URLSearchParams()), inspect({ u: new URL("https://ex.com/") }, { depth: 0 }), inspect(new URL("https://ex.com/?a=b"))];
