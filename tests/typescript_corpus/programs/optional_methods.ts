class Plugin {
  name: string = "p";
  init?(): void;
  run?(x: number): number { return x + 1; }
}
const p = new Plugin();
export default [p.run?.(1), typeof p.init, p.name];
