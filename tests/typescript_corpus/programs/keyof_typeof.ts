const defaults = { color: "red", size: 10 };
type Defaults = typeof defaults;
type Key = keyof Defaults;
function get<K extends Key>(k: K): Defaults[K] { return defaults[k]; }
const keys = Object.keys(defaults) as Key[];
export default [get("color"), get("size"), keys];
