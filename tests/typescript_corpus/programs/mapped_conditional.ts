type Keys = "a" | "b";
type Flags = { [K in Keys]: boolean };
type Unwrap<T> = T extends Promise<infer U> ? U : T;
type Tpl = `prefix-${Keys}`;
const flags: Flags = { a: true, b: false };
const name: Tpl = "prefix-a";
const n: Unwrap<Promise<number>> = 4;
export default { flags, name, n };
