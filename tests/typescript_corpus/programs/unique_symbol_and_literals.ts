const tag: unique symbol = Symbol("tag");
type Tagged = { [tag]: string; n: 1 | 2 | 3 };
const t: Tagged = { [tag]: "x", n: 2 };
let literal: -1 | 0n | true = true;
export default [t[tag], t.n, literal];
