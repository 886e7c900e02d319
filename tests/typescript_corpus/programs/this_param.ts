interface Ctx { base: number }
function add(this: Ctx, n: number): number { return this.base + n; }
function noArgs(this: Ctx): number { return this.base; }
const ctx: Ctx = { base: 100 };
export default [add.call(ctx, 5), noArgs.call(ctx)];
